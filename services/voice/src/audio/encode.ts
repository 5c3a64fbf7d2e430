import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioFormat } from '@cadre/proto';
import { runBinary, runPipeline, type Stage } from '../engines/binaries';
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

/** The encoder that reads WAV on stdin and writes `format` to stdout; undefined for wav itself. */
export function encoderStage(format: AudioFormat): Stage | undefined {
  if (format === 'mp3') return { program: 'lame', args: ['--quiet', '-b', '64', '-', '-'] };
  if (format === 'ogg_opus') return { program: 'opusenc', args: ['--quiet', '--bitrate', '32', '-', '-'] };
  return undefined;
}

/** Encodes WAV to the wanted format with Debian's encoders: `lame` (mp3, 64 kbit/s) and `opusenc` (Ogg Opus, 32 kbit/s). */
export async function encodeWav(wav: Buffer, format: AudioFormat, options: EncodeOptions): Promise<Buffer> {
  const encoder = encoderStage(format);
  if (encoder === undefined) return wav;
  return runPipeline([encoder], { timeoutMs: options.timeoutMs, path: options.path, input: wav, ...(options.signal ? { signal: options.signal } : {}) });
}

/**
 * Sets the RIFF and data sizes of a WAV written to a pipe: a program that cannot seek back
 * (espeak-ng --stdout) leaves placeholders there. The data chunk is taken to run to the end.
 */
export function settleWavSizes(wav: Buffer): Buffer {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return wav;
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    if (id === 'data') {
      wav.writeUInt32LE(wav.length - offset - 8, offset + 4);
      wav.writeUInt32LE(wav.length - 8, 4);
      return wav;
    }
    offset += 8 + wav.readUInt32LE(offset + 4) + (wav.readUInt32LE(offset + 4) % 2);
  }
  return wav;
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
