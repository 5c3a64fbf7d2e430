import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioFormat } from '@cadre/proto';
import { runBinary } from '../engines/binaries';
import { withScratch } from '../engines/local';

export const MIME_TYPES: Readonly<Record<AudioFormat, string>> = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg_opus: 'audio/ogg' };
export const EXTENSIONS: Readonly<Record<AudioFormat, string>> = { wav: 'wav', mp3: 'mp3', ogg_opus: 'ogg' };

/** Chat apps play Ogg Opus voice notes; the dashboard, Slack and Signal get mp3 (as the anchor system does). */
export function formatForChannel(channel: string): AudioFormat {
  return ['telegram', 'whatsapp', 'discord'].includes(channel.toLowerCase()) ? 'ogg_opus' : 'mp3';
}

interface EncodeOptions {
  readonly timeoutMs: number;
  readonly path?: string | undefined;
  readonly signal?: AbortSignal;
}

/** Encodes WAV to the wanted format with Debian's encoders: `lame` (mp3, 64 kbit/s) and `opusenc` (Ogg Opus, 32 kbit/s). */
export async function encodeWav(wav: Buffer, format: AudioFormat, options: EncodeOptions): Promise<Buffer> {
  if (format === 'wav') return wav;
  return withScratch(async (dir) => {
    const input = join(dir, 'in.wav');
    await writeFile(input, wav);
    const run = { timeoutMs: options.timeoutMs, path: options.path, ...(options.signal ? { signal: options.signal } : {}) };
    if (format === 'mp3') {
      await runBinary('lame', ['--quiet', '-b', '64', input, join(dir, 'out.mp3')], run);
      return readFile(join(dir, 'out.mp3'));
    }
    await runBinary('opusenc', ['--quiet', '--bitrate', '32', input, join(dir, 'out.ogg')], run);
    return readFile(join(dir, 'out.ogg'));
  });
}

/**
 * Decodes audio (wav, mp3, Ogg Opus) to what pocketsphinx reads: 16 kHz mono 16-bit WAV.
 * mp3 through `lame --decode`, Ogg Opus through `opusdec`, then `sox` resamples.
 */
export async function toSpeechWav(audio: Buffer, kind: 'wav' | 'mp3' | 'ogg', options: EncodeOptions): Promise<Buffer> {
  return withScratch(async (dir) => {
    const run = { timeoutMs: options.timeoutMs, path: options.path, ...(options.signal ? { signal: options.signal } : {}) };
    const source = join(dir, `in.${kind}`);
    await writeFile(source, audio);
    let wav = source;
    if (kind === 'mp3') {
      wav = join(dir, 'decoded.wav');
      await runBinary('lame', ['--quiet', '--decode', source, wav], run);
    } else if (kind === 'ogg') {
      wav = join(dir, 'decoded.wav');
      await runBinary('opusdec', ['--quiet', '--rate', '16000', source, wav], run);
    }
    const out = join(dir, 'speech.wav');
    await runBinary('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', out], run);
    return readFile(out);
  });
}
