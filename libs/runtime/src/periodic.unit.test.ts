import { startPeriodic } from './periodic';

describe('startPeriodic', () => {
  it('runs rounds one at a time, logs a failed one and goes on, and stop waits for the round under way', async () => {
    let inFlight = 0;
    let most = 0;
    let rounds = 0;
    const errors: unknown[] = [];
    let release!: () => void;
    const lastRound = new Promise<void>((resolve) => (release = resolve));
    const periodic = startPeriodic({
      intervalMs: 1,
      run: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        rounds++;
        try {
          if (rounds === 2) throw new Error('round two fails');
          if (rounds === 4) await lastRound;
          else await new Promise((r) => setTimeout(r, 5));
        } finally {
          inFlight--;
        }
      },
      onError: (error) => errors.push(error),
    });
    while (rounds < 4) await new Promise((r) => setTimeout(r, 2));
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false); // round four is still running
    release();
    await stopping;
    expect(most).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ message: 'round two fails' })]);
    const after = rounds;
    await new Promise((r) => setTimeout(r, 20));
    expect(rounds).toBe(after);
  });
});
