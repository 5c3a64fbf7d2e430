import { registry as cadreRegistry } from '@cadre/cadre';
import { eventually } from '@cadre/testing';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { waitForRunStatus } from '../support/runs';
import { openStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

// A run that asks for it gets its final answer spoken: the demo pipeline on the dry-run model,
// the voice service following the run's events, `tts_audio` on the run's stream naming the audio.

interface TtsAudio { data: { attachment_id: string; run_id: string; agent_id?: string; format: string } }

describe('a run that asks to be spoken', () => {
  let system: System;
  let alice: string;

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry: cadreRegistry, env: { CADRE_SECRET_KEY: 'a test key that is long enough to be used ok', VOICE_CHARACTER_THRESHOLD: '5000' } });
    const admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
  });
  afterAll(async () => system?.stop());

  it('speaks the final answer for the run\'s owner and names the attachment in tts_audio; a run that does not ask is not spoken', async () => {
    const quiet = await call<{ id: string }>(system.baseUrl, 'POST', '/v1/runs', { token: alice, body: { pipeline_id: 'demo', task_description: 'A haiku about queues' } });
    const spoken = await call<{ id: string }>(system.baseUrl, 'POST', '/v1/runs', { token: alice, body: { pipeline_id: 'demo', task_description: 'A haiku about queues', speak: true } });
    expect(spoken.status).toBe(201);
    const stream = await openStream(system.baseUrl, { token: alice, lastEventId: 0, query: { run_id: spoken.body.id } });
    try {
      await waitForRunStatus(system.baseUrl, alice, spoken.body.id, 'completed', 30_000);
      await waitForRunStatus(system.baseUrl, alice, quiet.body.id, 'completed', 30_000);
      const audio = await eventually(() => {
        const found = stream.events.filter((e) => e.event === 'tts_audio').map((e) => JSON.parse(e.data) as TtsAudio);
        expect(found).toHaveLength(1);
        return found[0]!;
      }, 30_000);
      expect(audio.data).toMatchObject({ run_id: spoken.body.id, format: 'mp3' });
      const attachment = await call<{ owner: string; content_type: string; duration_ms: number }>(system.baseUrl, 'GET', `/v1/attachments/${audio.data.attachment_id}`, { token: alice });
      expect(attachment.status).toBe(200);
      expect(attachment.body).toMatchObject({ content_type: 'audio/mpeg' });
      expect(attachment.body.duration_ms).toBeGreaterThan(500);
      const calls = await call<{ calls: Array<{ agent_id: string | null; attachment_id: string }> }>(system.baseUrl, 'GET', '/v1/tts-calls', { token: alice });
      expect(calls.body.calls.map((c) => c.attachment_id)).toEqual([audio.data.attachment_id]);
      expect(calls.body.calls[0]?.agent_id).toBe(audio.data.agent_id);
    } finally {
      stream.close();
    }
  });
});
