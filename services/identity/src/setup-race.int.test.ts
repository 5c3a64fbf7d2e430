import { ConflictError, setup, userList } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ENGINE_TOKEN, startHarness, type Harness } from './test-support/harness';

describe('setup under concurrency', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await h.addReplica(); // two replicas, so the race is also between processes' views
  });
  afterAll(async () => h?.dispose());

  it('lets exactly one of many simultaneous setups win', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => h.send(setup, { email: `admin${i}@example.com`, password: 'the admin password' })),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const loss of lost) expect(loss.reason).toBeInstanceOf(ConflictError);

    await eventually(async () => {
      const { users } = await h.send(userList, {}, { as: ENGINE_TOKEN });
      expect(users).toHaveLength(1);
      expect(users[0]!.role).toBe('admin');
    });
    await eventually(() => expect(h.events.filter((m) => m.subject.startsWith('evt.identity.setup_completed.'))).toHaveLength(1));
  });
});
