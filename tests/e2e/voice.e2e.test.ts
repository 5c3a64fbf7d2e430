import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry as cadreRegistry } from '@cadre/cadre';
import { eventually } from '@cadre/testing';
import { encodeWav, fliteEngine, sniffType } from '@cadre/voice';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { openStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

// The voice service through the HTTP API: uploads (multipart and raw, limits, sniffed types),
// downloads with Range requests, synthesis and transcription, settings and the call log.

interface Attachment { id: string; filename: string; content_type: string; declared_type: string | null; size_bytes: number; duration_ms: number | null; owner: string }

const signal = new AbortController().signal;

async function upload(baseUrl: string, token: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string> = {}, query = ''): Promise<{ status: number; body: Attachment & { code?: string; error?: string } }> {
  const res = await fetch(`${baseUrl}/v1/attachments/upload${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, body: (await res.json()) as Attachment & { code?: string } };
}

async function download(baseUrl: string, token: string, id: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${baseUrl}/v1/attachments/${id}/content`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** A member's multipart upload: stored, measured, served whole and by ranges to its owner (and admins) only. */
async function uploadAndServe(baseUrl: string, tokens: { alice: string; bob: string; admin: string }, wav: Buffer): Promise<void> {
  const { alice, bob, admin } = tokens;
  const form = new FormData();
  form.append('session_id', 'chat-1');
  form.append('file', new Blob([wav], { type: 'application/octet-stream' }), 'speech.wav');
  const stored = await upload(baseUrl, alice, form);
  expect(stored.status).toBe(201);
  expect(stored.body).toMatchObject({ filename: 'speech.wav', content_type: 'audio/wav', declared_type: 'application/octet-stream', size_bytes: wav.length });
  expect(stored.body.duration_ms).toBeGreaterThan(3000);
  const id = stored.body.id;

  const whole = await download(baseUrl, alice, id);
  expect(whole.status).toBe(200);
  expect(whole.bytes.equals(wav)).toBe(true);
  expect(whole.headers.get('accept-ranges')).toBe('bytes');
  expect(whole.headers.get('content-type')).toBe('audio/wav');
  expect(whole.headers.get('content-disposition')).toMatch(/^inline; filename="speech.wav"/);

  const part = await download(baseUrl, alice, id, { range: 'bytes=1000-1999' });
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${wav.length}`);
  expect(part.bytes.equals(wav.subarray(1000, 2000))).toBe(true);
  const tail = await download(baseUrl, alice, id, { range: 'bytes=-10' });
  expect(tail.bytes.equals(wav.subarray(wav.length - 10))).toBe(true);
  const beyond = await download(baseUrl, alice, id, { range: `bytes=${wav.length + 5}-` });
  expect(beyond.status).toBe(416);
  expect(beyond.headers.get('content-range')).toBe(`bytes */${wav.length}`);
  // HEAD: the headers of the whole file, no body (players probe the length first).
  const head = await fetch(`${baseUrl}/v1/attachments/${id}/content`, { method: 'HEAD', headers: { authorization: `Bearer ${alice}` } });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-length')).toBe(String(wav.length));
  expect((await head.arrayBuffer()).byteLength).toBe(0);
  // A stale If-Range gets the whole file.
  expect((await download(baseUrl, alice, id, { range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200);

  expect((await call(baseUrl, 'GET', `/v1/attachments/${id}`, { token: bob })).status).toBe(404);
  expect((await download(baseUrl, bob, id)).status).toBe(404);
  expect((await call(baseUrl, 'GET', `/v1/attachments/${id}`, { token: admin })).status).toBe(200);
}

describe('voice through the HTTP API', () => {
  let system: System;
  let admin: string;
  let alice: string;
  let bob: string;
  let wav: Buffer;

  beforeAll(async () => {
    system = await startSystem({
      transport: 'embedded',
      registry: cadreRegistry.filter((d) => d.name === 'identity' || d.name === 'voice'),
      env: { VOICE_ATTACHMENT_MAX_BYTES: '300000', UPLOAD_LIMIT: '400kb', CADRE_SECRET_KEY: 'a test key that is long enough to be used ok' },
    });
    admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
    wav = (await fliteEngine({ timeoutMs: 30_000 }).synthesize({
      text: 'The build finished at nine forty. Three tests failed in the memory service.', voiceId: 'kal16', format: 'wav', signal,
    })).audio;
  });
  afterAll(async () => system?.stop());

  it('stores a multipart upload, measured, and serves it whole and by byte ranges to its owner only', async () => {
    await uploadAndServe(system.baseUrl, { alice, bob, admin }, wav);
  });

  it('stores what the bytes are, not what the name and the header claim', async () => {
    const lie = await upload(system.baseUrl, alice, 'I am plain text, whatever my name says.', { 'content-type': 'image/png' }, '?filename=cat.png');
    expect(lie.status).toBe(201);
    expect(lie.body).toMatchObject({ filename: 'cat.png', content_type: 'text/plain; charset=utf-8', declared_type: 'image/png', duration_ms: null });
    const served = await download(system.baseUrl, alice, lie.body.id);
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    const mp3 = await encodeWav(wav, 'mp3', { timeoutMs: 30_000 });
    const audio = await upload(system.baseUrl, alice, mp3, { 'content-type': 'text/plain' });
    expect(audio.body).toMatchObject({ content_type: 'audio/mpeg', declared_type: 'text/plain' });
  });

  it('refuses files over the limits with 413 and keeps none of them', async () => {
    const blobs = await system.bus.blobs('attachments');
    const before = (await blobs.list()).length;
    // Over the service's limit (300 000 bytes), under the gateway's (400 kB).
    const big = await upload(system.baseUrl, alice, Buffer.alloc(350_000, 7), { 'content-type': 'application/octet-stream' });
    expect(big.status).toBe(413);
    // Over the gateway's: refused while it streams (chunked, no Content-Length to go by).
    const huge = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const streamed = await fetch(`${system.baseUrl}/v1/attachments/upload`, {
      method: 'POST', body: huge, headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream' }, duplex: 'half',
    } as RequestInit).then((r) => r.status, () => 413);
    expect(streamed).toBe(413);
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(500_000, 1)]), 'big.bin');
    expect((await upload(system.baseUrl, alice, form)).status).toBe(413);
    await eventually(async () => expect((await blobs.list()).length).toBe(before));
    // Malformed multipart bodies: 400, nothing kept.
    expect((await upload(system.baseUrl, alice, 'not really multipart', { 'content-type': 'multipart/form-data' })).status).toBe(400);
    const cut = await upload(system.baseUrl, alice, '--XYZ\r\ncontent-disposition: form-data; name="file"; filename="a.bin"\r\n\r\nhalf a file', { 'content-type': 'multipart/form-data; boundary=XYZ' });
    expect(cut.status).toBe(400);
    await eventually(async () => expect((await blobs.list()).length).toBe(before));
    // No file at all: 400 naming what to send.
    const none = await call<{ error: string }>(system.baseUrl, 'POST', '/v1/attachments/upload', { token: alice });
    expect(none.status).toBe(400);
    expect(none.body.error).toContain('no file');
  });

  it('synthesizes for a member, whose audio streams with range requests and whose call is logged', async () => {
    const stream = await openStream(system.baseUrl, { token: alice, lastEventId: 0, query: { types: 'tts_audio' } });
    try {
      const reply = await call<{ ok: boolean; attachment_id: string; format: string; size_bytes: number; duration_ms: number }>(system.baseUrl, 'POST', '/v1/tts/synthesize', {
        token: alice, body: { text: 'Your deployment is complete.', provider: 'flite', channel: 'discord', session_id: 'chat-9' },
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ ok: true, format: 'ogg_opus' });
      const audio = await download(system.baseUrl, alice, reply.body.attachment_id, { range: 'bytes=0-3' });
      expect(audio.bytes.toString('latin1')).toBe('OggS');
      const whole = await download(system.baseUrl, alice, reply.body.attachment_id);
      expect(await sniffType(whole.bytes)).toMatchObject({ mime: 'audio/ogg; codecs=opus' });
      await eventually(() => expect(stream.events.map((e) => JSON.parse(e.data) as { data: { attachment_id: string } })
        .map((e) => e.data.attachment_id)).toContain(reply.body.attachment_id));
      const calls = await call<{ calls: Array<{ attachment_id: string }>; summary: { call_count: number } }>(system.baseUrl, 'GET', '/v1/tts-calls?session_id=chat-9', { token: alice });
      expect(calls.body.calls.map((c) => c.attachment_id)).toEqual([reply.body.attachment_id]);
      expect((await call<{ total: number }>(system.baseUrl, 'GET', '/v1/tts-calls?session_id=chat-9', { token: bob })).body.total).toBe(0);
      // The internal route is for admins and the engine.
      expect((await call(system.baseUrl, 'POST', '/v1/internal/tts/synthesize', { token: alice, body: { text: 'x' } })).status).toBe(403);
      expect((await call(system.baseUrl, 'POST', '/v1/tts/syntheses/nothing-running/cancel', { token: alice })).status).toBe(200);
    } finally {
      stream.close();
    }
  });

  it('transcribes an uploaded file offline', async () => {
    const blobs = await system.bus.blobs('attachments');
    const before = (await blobs.list()).length;
    const short = (await fliteEngine({ timeoutMs: 30_000 }).synthesize({ text: 'Three tests failed in the memory service.', voiceId: 'kal16', format: 'wav', signal })).audio;
    const form = new FormData();
    form.append('file', new Blob([short]), 'note.wav');
    const res = await fetch(`${system.baseUrl}/v1/voice/transcribe`, { method: 'POST', body: form, headers: { authorization: `Bearer ${alice}` } });
    const body = (await res.json()) as { text: string; provider: string; confidence: string; duration_ms: number };
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ provider: 'pocketsphinx', confidence: 'low' });
    expect(body.duration_ms).toBeGreaterThan(1500);
    const words = body.text.split(' ');
    expect(['three', 'tests', 'failed', 'memory', 'service'].filter((w) => words.includes(w)).length).toBeGreaterThanOrEqual(3);
    // The upload was only on its way: nothing of it is kept.
    expect((await blobs.list()).length).toBe(before);
  });

  it('serves settings to admins only, and voices to everyone', async () => {
    expect((await call(system.baseUrl, 'GET', '/v1/admin/tts-settings', { token: alice })).status).toBe(403);
    const updated = await call<{ max_concurrent_requests: number; providers: Array<{ id: string; api_key_masked: string | null }> }>(system.baseUrl, 'PUT', '/v1/admin/tts-settings', {
      token: admin, body: { max_concurrent_requests: 3, providers: { openai: { api_key: 'sk-live-0123456789abcdef' } } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.max_concurrent_requests).toBe(3);
    expect(updated.body.providers.find((p) => p.id === 'openai')?.api_key_masked).toBe('sk-…cdef');
    expect((await call(system.baseUrl, 'PUT', '/v1/admin/tts-settings', { token: admin, body: {} })).status).toBe(400);
    expect((await call(system.baseUrl, 'PUT', '/v1/agents/helper/tts-settings', { token: alice, body: { tts_enabled: false } })).status).toBe(403);
    const agent = await call(system.baseUrl, 'PUT', '/v1/agents/helper/tts-settings', { token: admin, body: { tts_voice_id: 'slt' } });
    expect(agent.body).toMatchObject({ agent_id: 'helper', tts_enabled: true, tts_voice_id: 'slt' });
    const voices = await call<{ voices: Array<{ id: string }> }>(system.baseUrl, 'GET', '/v1/tts/voices?provider=espeak-ng&language=fr', { token: alice });
    expect(voices.body.voices.map((v) => v.id)).toContain('fr-fr');
    expect((await call(system.baseUrl, 'GET', '/v1/tts/voices/kal16?provider=flite', { token: alice })).body).toMatchObject({ id: 'kal16', provider: 'flite' });
    expect((await call(system.baseUrl, 'GET', '/v1/tts/voices/nobody?provider=flite', { token: alice })).status).toBe(404);
  });

  it('speaks to a file and transcribes it back with the cadre CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cadre-cli-voice-'));
    const root = join(__dirname, '..', '..');
    const cli = (args: readonly string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'services', 'cli', 'bin', 'cadre.cjs'), ...args], {
        cwd: root, env: { ...process.env, CADRE_URL: system.baseUrl, CADRE_TOKEN: alice, CADRE_CONFIG: join(dir, 'config.json') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    try {
      const file = join(dir, 'note.mp3');
      const said = await cli(['say', 'Three tests failed in the memory service.', '--provider', 'flite', '--voice', 'kal16', '--out', file, '--json']);
      expect(said.stderr).toBe('');
      expect(said.code).toBe(0);
      expect(JSON.parse(said.stdout)).toMatchObject({ ok: true, format: 'mp3', provider: 'flite', voice_id: 'kal16', file });
      expect(await sniffType(await readFile(file))).toMatchObject({ mime: 'audio/mpeg' });
      const heard = await cli(['transcribe', file]);
      expect(heard.code).toBe(0);
      expect(['three', 'tests', 'failed', 'memory', 'service'].filter((w) => heard.stdout.split(/\s+/).includes(w)).length).toBeGreaterThanOrEqual(3);
      const refused = await cli(['say', 'x'.repeat(20), '--provider', 'nobody']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('validation_failed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('attachments on NATS (the Object Store)', () => {
  let system: System;

  afterAll(async () => system?.stop());

  it('stores an upload and serves it by byte ranges', async () => {
    system = await startSystem({
      transport: 'nats', registry: cadreRegistry.filter((d) => d.name === 'identity' || d.name === 'voice'),
      env: { CADRE_SECRET_KEY: 'a test key that is long enough to be used ok' },
    });
    const admin = (await setupAdmin(system.baseUrl)).access_token;
    const alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    const bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
    const wav = (await fliteEngine({ timeoutMs: 30_000 }).synthesize({
      text: 'The build finished at nine forty. Three tests failed in the memory service.', voiceId: 'kal16', format: 'wav', signal,
    })).audio;
    await uploadAndServe(system.baseUrl, { alice, bob, admin }, wav);
  });
});
