import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuffer } from 'music-metadata';
import { encodeWav, toSpeechWav } from './audio/encode';
import { audioDurationMs, sniffType } from './audio/probe';
import { missingPrograms, runBinary, runPipeline } from './engines/binaries';
import { espeakEngine, fliteEngine } from './engines/local';
import { pocketsphinxTranscribe } from './stt/engines';

const SENTENCE = 'The build finished at nine forty. Three tests failed in the memory service, and the release waits for a review.';
const options = { timeoutMs: 30_000 };

/** Decodes with the real decoders (lame, opusdec) and reads the WAV's length from its header. */
async function decodedMs(audio: Buffer, kind: 'mp3' | 'ogg'): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-test-'));
  try {
    await writeFile(join(dir, `in.${kind}`), audio);
    if (kind === 'mp3') await runBinary('lame', ['--quiet', '--decode', join(dir, 'in.mp3'), join(dir, 'out.wav')], options);
    else await runBinary('opusdec', ['--quiet', join(dir, 'in.ogg'), join(dir, 'out.wav')], options);
    const meta = await parseBuffer(await readFile(join(dir, 'out.wav')), { mimeType: 'audio/wav' });
    return (meta.format.duration ?? 0) * 1000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('local speech engines', () => {
  for (const engine of [espeakEngine(options), fliteEngine(options)]) {
    it(`${engine.id} speaks a sentence as valid wav, mp3 and Ogg Opus of the same length`, async () => {
      const made = await engine.synthesize({ text: SENTENCE, voiceId: undefined, format: 'wav', signal: new AbortController().signal });
      expect(made.format).toBe('wav');
      expect(await sniffType(made.audio)).toMatchObject({ mime: 'audio/wav' });
      const wav = await parseBuffer(made.audio, { mimeType: 'audio/wav' });
      expect(wav.format.numberOfChannels).toBe(1);
      const wavMs = (wav.format.duration ?? 0) * 1000;
      // About 110 characters of speech: several seconds.
      expect(wavMs).toBeGreaterThan(3000);
      expect(wavMs).toBeLessThan(20_000);

      const mp3 = await encodeWav(made.audio, 'mp3', options);
      expect(await sniffType(mp3)).toMatchObject({ mime: 'audio/mpeg' });
      const ogg = await encodeWav(made.audio, 'ogg_opus', options);
      expect(await sniffType(ogg)).toMatchObject({ mime: 'audio/ogg; codecs=opus' });
      const oggMeta = await parseBuffer(ogg, { mimeType: 'audio/ogg' });
      expect(oggMeta.format.codec?.toLowerCase()).toContain('opus');

      // Probed (music-metadata) and decoded (lame, opusdec): within 20 % of the wav's duration.
      for (const [probed, decoded] of [[await audioDurationMs(mp3, 'audio/mpeg'), await decodedMs(mp3, 'mp3')], [await audioDurationMs(ogg, 'audio/ogg'), await decodedMs(ogg, 'ogg')]]) {
        expect(Math.abs((probed ?? 0) - wavMs) / wavMs).toBeLessThan(0.2);
        expect(Math.abs((decoded ?? 0) - wavMs) / wavMs).toBeLessThan(0.2);
      }

      // Asked for mp3 or Ogg Opus, the engine may encode as it speaks (espeak-ng into the encoder's
      // stdin): still that format, still the same length.
      for (const [format, kind, mime] of [['mp3', 'mp3', 'audio/mpeg'], ['ogg_opus', 'ogg', 'audio/ogg']] as const) {
        const direct = await engine.synthesize({ text: SENTENCE, voiceId: undefined, format, signal: new AbortController().signal });
        const audio = direct.format === format ? direct.audio : await encodeWav(direct.audio, format, options);
        expect((await sniffType(audio))?.mime).toContain(mime);
        expect(Math.abs(((await decodedMs(audio, kind)) ?? 0) - wavMs) / wavMs).toBeLessThan(0.2);
      }
    });
  }

  it('lists the voices of each local engine', async () => {
    const espeak = await espeakEngine(options).voices({ language: 'de', page: 1, pageSize: 50 });
    expect(espeak.voices.map((v) => v.id)).toContain('de');
    const flite = await fliteEngine(options).voices({ page: 1, pageSize: 50 });
    expect(flite.voices.map((v) => v.id)).toEqual(expect.arrayContaining(['kal16', 'slt']));
  });

  it('refuses a flite voice it does not have, rather than speak with another', async () => {
    await expect(fliteEngine(options).synthesize({ text: 'hello', voiceId: 'nobody', format: 'wav', signal: new AbortController().signal }))
      .rejects.toMatchObject({ kind: 'validation_failed' });
  });

  it('stops the stages that started when another one of its pipeline is not installed, and nothing else', async () => {
    // A stage that failed to start has a pid of 0 under the hood: killing it would signal this
    // whole process group (the test runner with it), so only started stages are killed.
    const started = Date.now();
    await expect(runPipeline([{ program: 'sleep', args: ['30'] }, { program: 'lame-missing', args: [] }], options))
      .rejects.toMatchObject({ code: 'engine_not_installed' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const { execFileSync } = await import('node:child_process');
    // The sleep was killed with the pipeline: none of this process's children sleeps on.
    const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)]).toString();
    expect(children).not.toContain('sleep 30');
  });

  it('names the Debian package of a program that is not installed', async () => {
    await expect(runBinary('opusenc-missing', [], options)).rejects.toMatchObject({ code: 'engine_not_installed' });
    await expect(espeakEngine({ ...options, path: '/nonexistent' }).synthesize({ text: 'hello', voiceId: undefined, format: 'wav', signal: new AbortController().signal }))
      .rejects.toMatchObject({ code: 'engine_not_installed', message: expect.stringContaining('install the Debian package espeak-ng') });
  });

  it('lists the programs a machine lacks, with their packages', async () => {
    expect(await missingPrograms()).toEqual([]);
    expect(await missingPrograms('/nonexistent')).toContainEqual({ program: 'opusenc', package: 'opus-tools' });
  });

  it('kills an engine when its synthesis is cancelled', async () => {
    const controller = new AbortController();
    const long = 'This sentence is spoken over and over again. '.repeat(400);
    const pending = fliteEngine(options).synthesize({ text: long, voiceId: 'slt', format: 'wav', signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
  });
});

describe('local transcription', () => {
  it('recognises the key words of flite speech with pocketsphinx, from wav and Ogg Opus', async () => {
    const made = await fliteEngine(options).synthesize({ text: SENTENCE, voiceId: 'kal16', format: 'wav', signal: new AbortController().signal });
    const signal = new AbortController().signal;
    const wav16 = await toSpeechWav(made.audio, 'wav', { ...options, signal });
    expect((await parseBuffer(wav16, { mimeType: 'audio/wav' })).format.sampleRate).toBe(16_000);
    const ogg = await encodeWav(made.audio, 'ogg_opus', options);
    for (const [audio, kind] of [[made.audio, 'wav'], [ogg, 'ogg']] as const) {
      const result = await pocketsphinxTranscribe({ audio, kind, language: 'en', signal }, '/usr/share/pocketsphinx/model/en-us', 60_000);
      const words = result.text.toLowerCase().split(/\s+/);
      const keys = ['build', 'finished', 'nine', 'forty', 'three', 'tests', 'failed', 'memory', 'release'];
      expect(keys.filter((k) => words.includes(k)).length).toBeGreaterThanOrEqual(5);
    }
  });
});
