import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';

/** Environment variables of the voice service. Settings changed through the API override the defaults named here. */
export const voiceConfigShape = {
  VOICE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('voice').describe('Postgres schema of the service'),
  CADRE_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional()
    .describe('Key that encrypts TTS provider API keys at rest; when unset one is generated and kept in the voice schema'),
  VOICE_DEFAULT_PROVIDER: z.enum(['espeak-ng', 'flite', 'fish-audio', 'voicebox', 'openai']).default('flite').describe('Engine until an admin picks one'),
  VOICE_MAX_CONCURRENT: env.int(5, 1).describe('Syntheses at once across every replica, until an admin sets it'),
  VOICE_CHARACTER_THRESHOLD: env.int(1000, 1).describe('Longer texts are not synthesized, until an admin sets it'),
  VOICE_SLOT_WAIT_MS: env.int(60_000, 100).describe('How long a synthesis waits for a free slot before it is refused (429)'),
  VOICE_ENGINE_TIMEOUT_MS: env.int(120_000, 100).describe('Longest a local engine or an upstream call may take'),
  VOICE_HTTP_ATTEMPTS: env.int(3, 1).describe('Attempts of an upstream call that fails with 5xx, 429 or a network error'),
  VOICE_HTTP_RETRY_BASE_MS: env.int(300, 0).describe('First retry delay of an upstream call (doubles each time)'),
  VOICE_ATTACHMENT_MAX_BYTES: env.int(25 * 1024 * 1024, 1).describe('Largest attachment (413 above)'),
  VOICE_FISH_AUDIO_URL: z.string().url().default('https://api.fish.audio').describe('Fish Audio API'),
  VOICE_FISH_AUDIO_API_KEY: z.string().min(1).optional().describe('Fish Audio key (an admin may set one through the API instead)'),
  VOICE_FISH_AUDIO_MODEL: z.string().min(1).default('s1').describe('Fish Audio model (the `model` header)'),
  VOICE_FISH_AUDIO_PRICE_PER_MB: z.coerce.number().nonnegative().default(15).describe('USD per million UTF-8 bytes of text'),
  VOICE_VOICEBOX_URL: z.string().url().default('http://localhost:17493').describe('Voicebox server'),
  VOICE_OPENAI_URL: z.string().url().default('https://api.openai.com/v1').describe('OpenAI-compatible API (speech and transcriptions)'),
  VOICE_OPENAI_API_KEY: z.string().min(1).optional().describe('Key of the OpenAI-compatible API'),
  VOICE_OPENAI_TTS_MODEL: z.string().min(1).default('tts-1'),
  VOICE_OPENAI_STT_MODEL: z.string().min(1).default('whisper-1'),
  VOICE_OPENAI_TTS_PRICE_PER_MCHAR: z.coerce.number().nonnegative().default(15).describe('USD per million characters of speech'),
  VOICE_OPENAI_STT_PRICE_PER_MINUTE: z.coerce.number().nonnegative().default(0.006).describe('USD per minute of transcribed audio'),
  VOICE_ENGINE_PATH: z.string().min(1).optional().describe('Where the engines and encoders (espeak-ng, flite, lame, opusenc, sox, pocketsphinx) are looked for (default: PATH)'),
  VOICE_POCKETSPHINX_MODEL_DIR: z.string().min(1).default('/usr/share/pocketsphinx/model/en-us').describe('pocketsphinx-en-us model folder'),
};

export type VoiceConfig = Readonly<z.infer<z.ZodObject<typeof voiceConfigShape>>>;

export function loadVoiceConfig(environment: Readonly<Record<string, string | undefined>> = process.env): VoiceConfig {
  return loadConfig(voiceConfigShape, environment);
}
