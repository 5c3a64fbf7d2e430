import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError, type VoiceView } from '@cadre/proto';
import { encoderStage, settleWavSizes } from '../audio/encode';
import { runBinary, runPipeline } from './binaries';
import { pageVoices, type SpeechEngine, type SpeechRequest } from './types';

/** A scratch folder for one job, removed after it whatever happens. */
export async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cadre-voice-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses `espeak-ng --voices`: `Pty Language Age/Gender VoiceName File Other Languages`. */
export function parseEspeakVoices(text: string): VoiceView[] {
  return text.split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((cols) => cols.length >= 5).map((cols) => {
    const [, language = '', gender = '', name = '', file = ''] = cols;
    return {
      id: language, name: name.replace(/_/g, ' '), provider: 'espeak-ng' as const, languages: [language],
      tags: [gender.split('/')[1] === 'F' ? 'female' : gender.split('/')[1] === 'M' ? 'male' : '', file.split('/')[0] ?? ''].filter((t) => t !== ''),
      description: null,
    };
  });
}

/** Parses `flite -lv`: `Voices available: kal awb_time kal16 awb rms slt`. */
export function parseFliteVoices(text: string): VoiceView[] {
  const names = text.replace(/^.*?:/s, '').trim().split(/\s+/).filter((n) => n !== '');
  return names.map((id) => ({ id, name: id, provider: 'flite' as const, languages: ['en-us'], tags: ['local'], description: null }));
}

export interface LocalOptions {
  readonly timeoutMs: number;
  /** Where to find the programs (default: PATH). */
  readonly path?: string | undefined;
}

/** eSpeak NG: formant synthesis, many languages, very fast; `voice_id` is a language (`en-us`, `de`) or voice name. */
export function espeakEngine(options: LocalOptions): SpeechEngine {
  let cache: VoiceView[] | undefined;
  return {
    id: 'espeak-ng',
    async synthesize(request: SpeechRequest) {
      const voice = request.voiceId ?? 'en-us';
      // Text on stdin (never an argument a leading dash would turn into an option), audio on
      // stdout, the encoder reading it as it comes: no scratch files, engine and encoder at once.
      const encoder = encoderStage(request.format);
      const speak = { program: 'espeak-ng', args: ['-v', voice, '--stdin', '--stdout'] };
      const run = { timeoutMs: options.timeoutMs, path: options.path, signal: request.signal, input: Buffer.from(request.text, 'utf8') };
      if (encoder) return { audio: await runPipeline([speak, encoder], run), format: request.format, model: 'espeak-ng', voiceId: voice, costUsd: 0 };
      return { audio: settleWavSizes(await runPipeline([speak], run)), format: 'wav', model: 'espeak-ng', voiceId: voice, costUsd: 0 };
    },
    async voices(query, signal) {
      cache ??= parseEspeakVoices((await runBinary('espeak-ng', ['--voices'], { timeoutMs: options.timeoutMs, path: options.path, ...(signal ? { signal } : {}) })).toString('utf8'));
      return pageVoices(cache, query);
    },
  };
}

/** Flite: small English voices built in (kal16 fast and clear, slt natural but slower). */
export function fliteEngine(options: LocalOptions): SpeechEngine {
  let cache: VoiceView[] | undefined;
  return {
    id: 'flite',
    async synthesize(request: SpeechRequest) {
      const voice = request.voiceId ?? 'kal16';
      // flite falls back to its default voice for a name it does not know: refuse the name instead.
      cache ??= parseFliteVoices((await runBinary('flite', ['-lv'], { timeoutMs: options.timeoutMs, path: options.path, signal: request.signal })).toString('utf8'));
      if (!cache.some((v) => v.id === voice)) throw new ValidationError(`flite has no voice "${voice}" (it has ${cache.map((v) => v.id).join(', ')})`);
      // flite must seek back in its output to set the sizes, so it writes a file; the caller encodes.
      const audio = await withScratch(async (dir) => {
        await writeFile(join(dir, 'text.txt'), request.text, 'utf8');
        await runBinary('flite', ['-voice', voice, '-f', join(dir, 'text.txt'), '-o', join(dir, 'out.wav')], { timeoutMs: options.timeoutMs, path: options.path, signal: request.signal });
        return readFile(join(dir, 'out.wav'));
      });
      return { audio, format: 'wav', model: 'flite', voiceId: voice, costUsd: 0 };
    },
    async voices(query, signal) {
      cache ??= parseFliteVoices((await runBinary('flite', ['-lv'], { timeoutMs: options.timeoutMs, path: options.path, ...(signal ? { signal } : {}) })).toString('utf8'));
      return pageVoices(cache, query);
    },
  };
}
