import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { maskSecret } from '@cadre/agents';
import { DomainError, ValidationError } from '@cadre/proto';
import { toSpeechWav } from '../audio/encode';
import { engineMissing, runBinary } from '../engines/binaries';
import { upstream, type UpstreamOptions } from '../engines/http';
import { withScratch } from '../engines/local';
import type { RemoteProvider } from '../engines/remote';

/** Audio to transcribe, its kind sniffed from its bytes. */
export interface SpeechInput {
  readonly audio: Buffer;
  readonly kind: 'wav' | 'mp3' | 'ogg';
  readonly language: string | undefined;
  readonly signal: AbortSignal;
}

export interface Transcript {
  readonly text: string;
  readonly language: string;
  readonly model: string;
  readonly costUsd: number;
  /** From the engine when it says (whisper's verbose_json). */
  readonly durationMs?: number;
  readonly keyMasked?: string;
}

/**
 * pocketsphinx 0.8 with Debian's US English model (pocketsphinx-en-us): the audio is decoded to
 * 16 kHz mono WAV and recognised offline. It misses words: callers are told its confidence is low.
 */
export async function pocketsphinxTranscribe(input: SpeechInput, modelDir: string, timeoutMs: number, path?: string): Promise<Transcript> {
  if (input.language !== undefined && !input.language.toLowerCase().startsWith('en')) {
    throw new ValidationError(`pocketsphinx knows US English only, not "${input.language}"`);
  }
  const hmm = join(modelDir, 'en-us');
  try {
    await access(join(hmm, 'mdef'));
  } catch {
    throw new DomainError(engineMissing, `the pocketsphinx English model is not at ${modelDir}: install the Debian package pocketsphinx-en-us (apt-get install -y pocketsphinx-en-us)`,
      { package: 'pocketsphinx-en-us' });
  }
  const wav = await toSpeechWav(input.audio, input.kind, { timeoutMs, path, signal: input.signal });
  const out = await withScratch(async (dir) => {
    const file = join(dir, 'speech.wav');
    await writeFile(file, wav);
    return runBinary('pocketsphinx_continuous', [
      '-infile', file, '-hmm', hmm, '-lm', join(modelDir, 'en-us.lm.bin'), '-dict', join(modelDir, 'cmudict-en-us.dict'), '-logfn', '/dev/null',
    ], { timeoutMs, path, signal: input.signal });
  });
  const text = out.toString('utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '').join(' ');
  return { text, language: 'en', model: 'pocketsphinx-en-us', costUsd: 0 };
}

const EXT = { wav: ['audio.wav', 'audio/wav'], mp3: ['audio.mp3', 'audio/mpeg'], ogg: ['audio.ogg', 'audio/ogg'] } as const;

/**
 * OpenAI-compatible transcription (`POST {base}/audio/transcriptions`, multipart `file` and
 * `model`, `response_format=verbose_json`): OpenAI, Groq, whisper.cpp's server, faster-whisper
 * servers, LocalAI. Priced per minute of audio.
 */
export async function openAiTranscribe(input: SpeechInput, remote: RemoteProvider, http: Omit<UpstreamOptions, 'provider' | 'secrets' | 'signal'>, audioMs: number | undefined): Promise<Transcript> {
  if (!remote.apiKey) throw new ValidationError('openai has no API key: an admin sets one with PUT /v1/admin/tts-settings');
  const form = new FormData();
  const [name, type] = EXT[input.kind];
  form.append('file', new Blob([input.audio], { type }), name);
  form.append('model', remote.model);
  form.append('response_format', 'verbose_json');
  if (input.language) form.append('language', input.language);
  const response = await upstream(`${remote.baseUrl.replace(/\/+$/, '')}/audio/transcriptions`, {
    method: 'POST', body: form, headers: { authorization: `Bearer ${remote.apiKey}` },
  }, { ...http, provider: 'openai', secrets: [remote.apiKey], signal: input.signal });
  const body = (await response.json()) as { text?: unknown; language?: unknown; duration?: unknown };
  if (typeof body.text !== 'string') throw new ValidationError('the transcription server answered without text');
  const durationMs = typeof body.duration === 'number' ? Math.round(body.duration * 1000) : audioMs;
  return {
    text: body.text.trim(), language: typeof body.language === 'string' ? body.language : (input.language ?? 'unknown'), model: remote.model,
    costUsd: ((durationMs ?? 0) / 60_000) * remote.price, keyMasked: maskSecret(remote.apiKey),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}
