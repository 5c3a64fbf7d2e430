import { decode } from '@msgpack/msgpack';
import { sql } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import {
  agentTtsSettingsUpdate, attachmentContent, attachmentGet, ttsCallList, ttsCancel, ttsSettingsUpdate, ttsSynthesize, ttsVoiceList,
  voiceTranscribe, voiceboxHealth, voiceboxProfiles,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { encodeWav } from './audio/encode';
import { fliteEngine } from './engines/local';
import { ADMIN, MEMBER, OTHER, startVoiceHarness, type VoiceHarness } from './test-support/harness';
import { startUpstream, type Upstream } from './test-support/upstream';

const KEY_FISH = 'fa-secret-key-0123456789abcdef';
const KEY_OPENAI = 'sk-openai-secret-0123456789';
const signal = new AbortController().signal;

async function blobBytes(h: VoiceHarness, attachmentId: string): Promise<Buffer> {
  const content = await h.send(attachmentContent, { id: attachmentId });
  const stream = await (await h.bus.blobs(content.bucket)).get(content.blob);
  const chunks: Buffer[] = [];
  for await (const chunk of stream!) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describe('voice service', () => {
  let h: VoiceHarness;
  let up: Upstream;
  let wav: Buffer;
  let mp3: Buffer;

  beforeAll(async () => {
    up = await startUpstream();
    h = await startVoiceHarness({ env: { VOICE_HTTP_ATTEMPTS: '3', VOICE_SLOT_WAIT_MS: '500' } });
    wav = (await fliteEngine({ timeoutMs: 30_000 }).synthesize({ text: 'The release is ready for review.', voiceId: 'kal16', format: 'wav', signal })).audio;
    mp3 = await encodeWav(wav, 'mp3', { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await h?.dispose();
    await up?.close();
  });

  describe('settings and refusals', () => {
    it('speaks with the agent\'s engine, voice and format over the global ones, and the global ones otherwise', async () => {
      await h.send(ttsSettingsUpdate, { default_provider: 'espeak-ng', default_voice_id: 'en-us' });
      await h.send(agentTtsSettingsUpdate, { id: 'narrator', tts_provider: 'flite', tts_voice_id: 'slt', tts_format: 'wav' });
      const agent = await h.send(ttsSynthesize, { text: 'Hello from the narrator.', agent_id: 'narrator', session_id: 'sess-1' }, MEMBER);
      expect(agent).toMatchObject({ ok: true, provider: 'flite', voice_id: 'slt', format: 'wav', mime_type: 'audio/wav', cost_usd: 0 });
      const global = await h.send(ttsSynthesize, { text: 'Hello from nobody in particular.', channel: 'telegram' }, MEMBER);
      expect(global).toMatchObject({ ok: true, provider: 'espeak-ng', voice_id: 'en-us', format: 'ogg_opus', mime_type: 'audio/ogg' });
      const plain = await h.send(ttsSynthesize, { text: 'Hello on the dashboard.', agent_id: 'someone-else' }, MEMBER);
      expect(plain).toMatchObject({ ok: true, provider: 'espeak-ng', format: 'mp3' });
      if (!agent.ok) throw new Error('unreachable');
      // The attachment is the member's, measured from the audio.
      const view = await h.send(attachmentGet, { id: agent.attachment_id }, MEMBER);
      expect(view).toMatchObject({ source: 'tts', content_type: 'audio/wav', owner: MEMBER.user_id, session_id: 'sess-1', size_bytes: agent.size_bytes });
      expect(view.duration_ms).toBeGreaterThan(500);
      await expect(h.send(attachmentGet, { id: agent.attachment_id }, OTHER)).rejects.toMatchObject({ kind: 'not_found' });
      // tts_audio names the attachment for the session; tts_call has the figures.
      await eventually(() => expect(h.eventsOf('tts_audio').map((e) => e.data)).toContainEqual(expect.objectContaining({
        attachment_id: agent.attachment_id, session_id: 'sess-1', agent_id: 'narrator', format: 'wav',
      })));
      const logged = h.eventsOf('tts_call').find((e) => (e.data as { attachment_id?: string }).attachment_id === agent.attachment_id);
      expect(logged?.data).toMatchObject({ ok: true, provider: 'flite', model: 'flite', voice_id: 'slt', input_characters: 24, input_bytes: 24, output_bytes: agent.size_bytes, cost_usd: 0 });
      expect(logged?.meta.owner).toBe(MEMBER.user_id);
    });

    it('refuses text over the threshold, and everything while TTS is disabled, storing nothing', async () => {
      const before = (await h.send(ttsCallList, {})).total;
      await h.send(ttsSettingsUpdate, { character_threshold: 20 });
      await expect(h.send(ttsSynthesize, { text: 'This sentence is longer than twenty characters.' })).resolves
        .toMatchObject({ ok: false, code: 'over_threshold', reason: expect.stringContaining('threshold of 20') });
      await h.send(ttsSettingsUpdate, { character_threshold: 1000, tts_enabled: false });
      await expect(h.send(ttsSynthesize, { text: 'Short.' })).resolves.toMatchObject({ ok: false, code: 'disabled' });
      await h.send(ttsSettingsUpdate, { tts_enabled: true });
      await h.send(agentTtsSettingsUpdate, { id: 'quiet', tts_enabled: false });
      await expect(h.send(ttsSynthesize, { text: 'Short.', agent_id: 'quiet' })).resolves.toMatchObject({ ok: false, code: 'agent_disabled' });
      expect((await h.send(ttsCallList, {})).total).toBe(before);
      await expect(h.send(ttsSettingsUpdate, { character_threshold: 20 }, MEMBER)).rejects.toMatchObject({ kind: 'forbidden' });
    });

    it('lists a member\'s own calls with a summary, and every call to admins', async () => {
      const mine = await h.send(ttsCallList, { limit: 2 }, MEMBER);
      expect(mine.calls).toHaveLength(2);
      expect(mine.total).toBeGreaterThanOrEqual(3);
      expect(mine.calls.every((c) => c.user_id === MEMBER.user_id)).toBe(true);
      expect(mine.summary).toMatchObject({ call_count: mine.total, failed_count: 0 });
      expect(mine.summary.total_input_chars).toBeGreaterThan(50);
      expect((await h.send(ttsCallList, {}, OTHER)).total).toBe(0);
      expect((await h.send(ttsCallList, { session_id: 'sess-1' })).total).toBe(1);
    });
  });

  describe('remote engines against their wire protocols', () => {
    beforeAll(async () => {
      await h.send(ttsSettingsUpdate, {
        providers: {
          'fish-audio': { base_url: up.url, api_key: KEY_FISH },
          openai: { base_url: `${up.url}/v1`, api_key: KEY_OPENAI },
          voicebox: { base_url: up.url },
        },
      });
    });

    it('Fish Audio: a MessagePack body with the model header, priced per UTF-8 byte; the key sealed at rest and never in an event', async () => {
      up.route('POST', '/v1/tts', { body: mp3 });
      const text = 'Ça coûte cher: 15 € per million bytes.';
      const reply = await h.send(ttsSynthesize, { text, provider: 'fish-audio', voice_id: 'voice-abc', format: 'mp3' }, MEMBER);
      const request = up.received.filter((r) => r.path === '/v1/tts').at(-1)!;
      expect(request.headers).toMatchObject({ authorization: `Bearer ${KEY_FISH}`, 'content-type': 'application/msgpack', model: 's1' });
      expect(decode(request.body)).toMatchObject({ text, reference_id: 'voice-abc', format: 'mp3' });
      const bytes = Buffer.byteLength(text, 'utf8');
      expect(bytes).toBeGreaterThan([...text].length);
      expect(reply).toMatchObject({ ok: true, provider: 'fish-audio', model: 's1', format: 'mp3', size_bytes: mp3.length });
      if (!reply.ok) throw new Error('unreachable');
      expect(reply.cost_usd).toBeCloseTo((bytes * 15) / 1e6, 12);
      expect((await blobBytes(h, reply.attachment_id)).equals(mp3)).toBe(true);
      // Sealed in its table, masked in the event.
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: h.bed.pool }) });
      const { rows } = await sql<{ sealed: string; masked: string }>`select sealed, masked from voice.provider_keys where provider = 'fish-audio'`.execute(db);
      expect(rows[0]?.sealed).not.toContain(KEY_FISH);
      expect(rows[0]?.masked).toBe('fa-…cdef');
      await eventually(() => expect(h.eventsOf('tts_settings_updated').length).toBeGreaterThan(0));
      expect(JSON.stringify(h.events.map((m) => m.json()))).not.toContain(KEY_FISH);
      const call = (await h.send(ttsCallList, { provider: 'fish-audio' }, MEMBER)).calls[0];
      expect(call).toMatchObject({ ok: true, key_masked: 'fa-…cdef', input_bytes: bytes, output_format: 'mp3' });
    });

    it('Fish Audio: lists voices with its filters and pages', async () => {
      up.route('GET', '/model', { body: { total: 41, items: [{ _id: 'v1', title: 'Calm narrator', languages: ['en'], tags: ['calm'], description: 'Slow and clear' }] } });
      const page = await h.send(ttsVoiceList, { provider: 'fish-audio', search: 'calm', language: 'en', page: 2, page_size: 20 });
      expect(page).toMatchObject({ provider: 'fish-audio', total: 41, has_more: true, voices: [{ id: 'v1', name: 'Calm narrator', languages: ['en'], tags: ['calm'] }] });
      const request = up.received.filter((r) => r.path.startsWith('/model')).at(-1)!;
      expect(Object.fromEntries(new URL(request.path, up.url).searchParams)).toEqual({ page_size: '20', page_number: '2', title: 'calm', language: 'en' });
    });

    it('Fish Audio: a 5xx is retried, then fails with a clear error that is logged, with the key redacted', async () => {
      up.failNext('/v1/tts', 3, { status: 503, body: { message: `overloaded; your Authorization was Bearer ${KEY_FISH}` } });
      const before = up.received.length;
      await expect(h.send(ttsSynthesize, { text: 'Nobody will hear this.', provider: 'fish-audio' }, MEMBER))
        .rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('failed after 3 attempts') });
      expect(up.received.length - before).toBe(3);
      const failed = (await h.send(ttsCallList, { provider: 'fish-audio' }, MEMBER)).calls.find((c) => !c.ok);
      expect(failed?.error).toContain('503');
      expect(failed?.error).not.toContain(KEY_FISH);
      expect(failed).toMatchObject({ attachment_id: null, cost_usd: 0, output_bytes: 0 });
    });

    it('Voicebox: /generate then /audio/{id}; profiles and health proxied', async () => {
      up.route('POST', '/generate', { body: { id: 'gen-7', status: 'done' } });
      up.route('GET', '/audio/gen-7', { body: wav });
      up.route('GET', '/profiles', { body: [{ id: 'p1', name: 'Warm', language: 'en', description: 'A warm voice' }] });
      up.route('GET', '/health', { body: { status: 'healthy', model_loaded: true } });
      const reply = await h.send(ttsSynthesize, { text: 'From the local GPU.', provider: 'voicebox', voice_id: 'p1', format: 'ogg_opus' }, MEMBER);
      expect(reply).toMatchObject({ ok: true, provider: 'voicebox', model: 'qwen3-tts', format: 'ogg_opus', cost_usd: 0 });
      const generate = up.received.filter((r) => r.path === '/generate').at(-1)!;
      expect(JSON.parse(generate.body.toString())).toEqual({ text: 'From the local GPU.', language: 'en', profile_id: 'p1' });
      await expect(h.send(voiceboxProfiles, {})).resolves.toMatchObject({ profiles: [{ id: 'p1', name: 'Warm', language: 'en' }] });
      await expect(h.send(voiceboxHealth, {})).resolves.toMatchObject({ ok: true, status: 200, detail: { status: 'healthy' } });
    });

    it('OpenAI-compatible speech: /audio/speech with model, input, voice and format, priced per character', async () => {
      up.route('POST', '/v1/audio/speech', { body: mp3 });
      const reply = await h.send(ttsSynthesize, { text: 'Twenty-two characters.', provider: 'openai', voice_id: 'nova', format: 'mp3' }, MEMBER);
      const request = up.received.filter((r) => r.path === '/v1/audio/speech').at(-1)!;
      expect(request.headers.authorization).toBe(`Bearer ${KEY_OPENAI}`);
      expect(JSON.parse(request.body.toString())).toEqual({ model: 'tts-1', input: 'Twenty-two characters.', voice: 'nova', response_format: 'mp3' });
      expect(reply).toMatchObject({ ok: true, provider: 'openai', model: 'tts-1', voice_id: 'nova' });
      if (reply.ok) expect(reply.cost_usd).toBeCloseTo((22 * 15) / 1e6, 12);
    });

    it('OpenAI-compatible transcription: multipart file and model, the text with language and duration, logged', async () => {
      up.route('POST', '/v1/audio/transcriptions', { body: { text: 'The release is ready for review.', language: 'english', duration: 2.5 } });
      const reply = await h.send(voiceTranscribe, { audio_base64: mp3.toString('base64'), provider: 'openai', session_id: 'sess-2' }, MEMBER);
      expect(reply).toMatchObject({ text: 'The release is ready for review.', language: 'english', duration_ms: 2500, provider: 'openai', model: 'whisper-1', confidence: 'normal' });
      const request = up.received.filter((r) => r.path === '/v1/audio/transcriptions').at(-1)!;
      expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      const body = request.body.toString('latin1');
      expect(body).toContain('name="model"\r\n\r\nwhisper-1');
      expect(body).toContain('name="response_format"\r\n\r\nverbose_json');
      expect(body).toMatch(/name="file"; filename="audio.mp3"\r\nContent-Type: audio\/mpeg/);
      expect(request.body.includes(mp3.subarray(0, 64))).toBe(true);
      const logged = (await h.send(ttsCallList, { kind: 'stt' }, MEMBER)).calls[0];
      expect(logged).toMatchObject({ kind: 'stt', provider: 'openai', ok: true, session_id: 'sess-2', input_bytes: mp3.length, input_characters: 32 });
      expect(logged?.cost_usd).toBeCloseTo((2.5 / 60) * 0.006, 12);
    });

    it('refuses audio that is not wav, mp3 or ogg, by its bytes', async () => {
      await expect(h.send(voiceTranscribe, { audio_base64: Buffer.from('just some text, not audio').toString('base64') }, MEMBER))
        .rejects.toMatchObject({ kind: 'unsupported_media_type' });
    });
  });

  it('answers 429 when every slot stays busy longer than the wait, and logs nothing for it', async () => {
    await h.send(ttsSettingsUpdate, { max_concurrent_requests: 1, character_threshold: 5000 });
    try {
      const long = 'Only one synthesis may run at a time, and this one takes a while to say. '.repeat(30);
      const first = h.send(ttsSynthesize, { text: long, provider: 'flite', voice_id: 'slt', synthesis_id: 'hog' }, MEMBER);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = (await h.send(ttsCallList, {})).total;
      await expect(h.send(ttsSynthesize, { text: 'Me too.', provider: 'flite' }, OTHER)).rejects.toMatchObject({ kind: 'rate_limited' });
      await h.send(ttsCancel, { synthesis_id: 'hog' }, MEMBER);
      await expect(first).resolves.toMatchObject({ ok: false, code: 'cancelled' });
      expect((await h.send(ttsCallList, { user_id: OTHER.user_id })).total).toBe(0);
      expect((await h.send(ttsCallList, {})).total).toBe(before + 1);
    } finally {
      await h.send(ttsSettingsUpdate, { max_concurrent_requests: 5 });
    }
  });

  it('stops a named synthesis when its owner cancels it', async () => {
    const long = 'This sentence is spoken over and over again, slowly. '.repeat(18);
    await h.send(ttsSettingsUpdate, { character_threshold: 5000 });
    let settled = false;
    const pending = h.send(ttsSynthesize, { text: long, provider: 'flite', voice_id: 'slt', synthesis_id: 'long-one' }, MEMBER).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Someone else's cancel is ignored.
    await expect(h.send(ttsCancel, { synthesis_id: 'long-one' }, OTHER)).resolves.toEqual({ synthesis_id: 'long-one', requested: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    await h.send(ttsCancel, { synthesis_id: 'long-one' }, MEMBER);
    await expect(pending).resolves.toMatchObject({ ok: false, code: 'cancelled' });
    expect((await h.send(ttsCallList, { provider: 'flite' }, MEMBER)).calls[0]).toMatchObject({ ok: false, error: 'cancelled', attachment_id: null });
  });
});

describe('voice service without its engines', () => {
  it('answers a clear error naming the Debian package, and stores nothing', async () => {
    const h = await startVoiceHarness({ env: { VOICE_ENGINE_PATH: '/nonexistent' } });
    try {
      await expect(h.send(ttsSynthesize, { text: 'Hello.', provider: 'espeak-ng' }, ADMIN))
        .rejects.toMatchObject({ code: 'engine_not_installed', message: expect.stringContaining('apt-get install -y espeak-ng') });
      await expect(h.send(ttsSynthesize, { text: 'Hello.', provider: 'flite' }, ADMIN)).rejects.toMatchObject({ code: 'engine_not_installed' });
      expect((await h.send(ttsCallList, {})).total).toBe(0);
      expect(await (await h.bus.blobs('attachments')).list()).toEqual([]);
      expect(h.events).toEqual([]);
    } finally {
      await h.dispose();
    }
  });
});
