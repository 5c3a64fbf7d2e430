import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Client } from '../client';
import type { Output } from '../output';

interface Spoken {
  readonly ok: boolean;
  readonly reason?: string;
  readonly code?: string;
  readonly attachment_id?: string;
  readonly format?: string;
  readonly size_bytes?: number;
  readonly duration_ms?: number;
  readonly cost_usd?: number;
  readonly provider?: string;
  readonly voice_id?: string | null;
  readonly audio_base64?: string;
}

const FORMATS: Readonly<Record<string, string>> = { '.wav': 'wav', '.mp3': 'mp3', '.ogg': 'ogg_opus', '.opus': 'ogg_opus' };

/** `cadre say "text" [--voice V] [--provider P] [--format F] [--out FILE]`: speaks text; with --out, writes the audio there. */
export async function say(client: Client, output: Output, options: { text: string; voice?: string; provider?: string; format?: string; out?: string }): Promise<void> {
  const format = options.format ?? (options.out ? FORMATS[extname(options.out).toLowerCase()] : undefined);
  const reply = await client.call<Spoken>('POST', '/v1/tts/synthesize', {
    text: options.text, include_audio: options.out !== undefined,
    ...(options.voice ? { voice_id: options.voice } : {}), ...(options.provider ? { provider: options.provider } : {}), ...(format ? { format } : {}),
  });
  if (!reply.ok) throw new Error(`not spoken: ${reply.reason ?? reply.code ?? 'refused'}`);
  if (options.out && reply.audio_base64) await writeFile(options.out, Buffer.from(reply.audio_base64, 'base64'));
  const { audio_base64: _audio, ...shown } = reply;
  output.result({ ...shown, ...(options.out ? { file: options.out } : {}) }, () => [
    `Spoken    ${reply.provider ?? ''}${reply.voice_id ? ` (${reply.voice_id})` : ''}, ${reply.format ?? ''}, ${((reply.duration_ms ?? 0) / 1000).toFixed(1)} s, ${reply.size_bytes ?? 0} bytes`,
    `Stored    attachment ${reply.attachment_id ?? ''} (GET /v1/attachments/${reply.attachment_id ?? ''}/content)`,
    ...(options.out ? [`Written   ${options.out}`] : []),
  ].join('\n'));
}

/** `cadre transcribe FILE [--provider P] [--language L]`: the text of a wav, mp3 or ogg file. */
export async function transcribe(client: Client, output: Output, file: string, options: { provider?: string; language?: string }): Promise<void> {
  const audio = await readFile(file);
  const reply = await client.call<{ text: string; language: string; duration_ms: number; provider: string; confidence: string }>('POST', '/v1/voice/transcribe', {
    audio_base64: audio.toString('base64'), ...(options.provider ? { provider: options.provider } : {}), ...(options.language ? { language: options.language } : {}),
  });
  output.result(reply, () => reply.text);
}
