import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { createSecretBox } from '@cadre/agents';
import { defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { TTS_CANCEL_SUBJECT, voiceEvents, voiceRoutes, type TtsProvider } from '@cadre/proto';
import { createAttachments } from './attachments/attachments';
import { callsProjection } from './calls/calls';
import { loadVoiceConfig, voiceConfigShape, type VoiceConfig } from './config';
import { httpOptions, type VoiceContext } from './context';
import { missingPrograms } from './engines/binaries';
import { espeakEngine, fliteEngine } from './engines/local';
import { fishAudioEngine, openAiSpeechEngine, voiceboxEngine } from './engines/remote';
import type { SpeechEngine } from './engines/types';
import { voiceEndpoints } from './handlers';
import { createSlotLimiter } from './limiter';
import { startRunSpeech } from './speech/run-speech';
import { createVoiceSettings } from './settings/settings';
import type { VoiceDatabase } from './storage/database';
import { settingOnce, voiceMigrations } from './storage/migrations';

/**
 * Voice: text-to-speech with local engines (espeak-ng, flite; no network) and remote ones (Fish
 * Audio, Voicebox, OpenAI-compatible), wav/mp3/Ogg Opus, transcription (pocketsphinx offline,
 * OpenAI-compatible), attachments in the bus's blob store, the call log, global and per-agent
 * settings, and a concurrency limit that holds across replicas.
 */
export const voiceService = defineService({
  name: 'voice',
  description: 'Text-to-speech, transcription, attachments and the TTS call log',
  version: packageVersion(__dirname),
  config: { shape: voiceConfigShape, load: loadVoiceConfig },
  schema: (config: VoiceConfig) => config.VOICE_SCHEMA,
  events: [{ name: 'voice', visibility: 'owner' }],
  eventTypes: voiceEvents,
  migrations: voiceMigrations,
  routes: voiceRoutes,
  async context(kit: ServiceKit<VoiceConfig, VoiceDatabase>): Promise<VoiceContext> {
    const { config, bus, store, logger, schema, pool } = kit;
    let secret = config.CADRE_SECRET_KEY;
    if (secret === undefined) {
      secret = await settingOnce(kit.db, 'provider_key_secret', () => randomBytes(32).toString('base64'));
      logger.warn({ schema }, 'CADRE_SECRET_KEY is not set: TTS provider keys are encrypted with a key generated once and kept in the database');
    }
    const settings = createVoiceSettings(store, kit.db, createSecretBox(secret), config);
    const local = { timeoutMs: config.VOICE_ENGINE_TIMEOUT_MS, path: config.VOICE_ENGINE_PATH };
    const espeak = espeakEngine(local);
    const flite = fliteEngine(local);
    const http = httpOptions(config);
    const engine = async (provider: TtsProvider): Promise<SpeechEngine> => {
      switch (provider) {
        case 'espeak-ng': return espeak;
        case 'flite': return flite;
        case 'fish-audio': return fishAudioEngine(await settings.remote('fish-audio'), http);
        case 'voicebox': return voiceboxEngine(await settings.remote('voicebox'), http);
        case 'openai': return openAiSpeechEngine(await settings.remote('openai'), http);
      }
    };
    return {
      config, bus, store, logger, schema, pool, settings, engine, instance: kit.instance,
      db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }), tables: kit.db,
      attachments: await createAttachments(bus, store),
      limiter: createSlotLimiter(pool, `${schema}.tts_slots`, config.VOICE_SLOT_WAIT_MS),
      running: new Map(), clock: kit.clock, newId: kit.newId,
    };
  },
  workers: async (ctx: VoiceContext) => [
    await startProjection(ctx, callsProjection(ctx.schema)),
    ctx.bus.ephemeral.subscribe(TTS_CANCEL_SUBJECT, (message) => {
      const { synthesis_id: id, user_id: user, admin } = message.json<{ synthesis_id?: string; user_id?: string | null; admin?: boolean }>();
      const running = id === undefined ? undefined : ctx.running.get(id);
      // Only its owner (or an admin) stops a synthesis.
      if (running && (admin === true || (user != null && running.owner === user))) running.controller.abort();
    }),
    await startRunSpeech(ctx, ctx.tables),
  ],
  endpoints: (ctx) => voiceEndpoints(ctx),
  async started(ctx) {
    const missing = await missingPrograms(ctx.config.VOICE_ENGINE_PATH);
    if (missing.length > 0) {
      ctx.logger.warn({ missing }, `local speech needs Debian packages that are not installed: apt-get install -y ${[...new Set(missing.map((m) => m.package))].join(' ')}`);
    }
    return { defaultProvider: ctx.config.VOICE_DEFAULT_PROVIDER, missingPrograms: missing.map((m) => m.program) };
  },
});
