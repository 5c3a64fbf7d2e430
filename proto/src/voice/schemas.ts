import { z } from 'zod';

// Shapes shared by the voice contracts: engines, formats, settings, attachments and the call log.

/** A speech engine: two local ones (no network) and three remote HTTP APIs. */
export const TtsProvider = z.enum(['espeak-ng', 'flite', 'fish-audio', 'voicebox', 'openai']);
export type TtsProvider = z.infer<typeof TtsProvider>;
/** A transcription engine: local pocketsphinx or any OpenAI-compatible `/v1/audio/transcriptions`. */
export const SttProvider = z.enum(['pocketsphinx', 'openai']);
export type SttProvider = z.infer<typeof SttProvider>;
/** Audio formats a synthesis can be delivered in. */
export const AudioFormat = z.enum(['wav', 'mp3', 'ogg_opus']);
export type AudioFormat = z.infer<typeof AudioFormat>;

const Timestamp = z.iso.datetime({ offset: true });
/** A voice id of any engine (`en-us`, `kal16`, a Fish Audio model id, a Voicebox profile id). */
export const VoiceId = z.string().min(1).max(200).regex(/^[^\s/]+$/, 'no spaces or slashes');

/** The global TTS settings (admin). */
export const TtsSettingsView = z.object({
  tts_enabled: z.boolean(),
  character_threshold: z.number().int().positive().describe('Longer texts are not synthesized'),
  max_concurrent_requests: z.number().int().positive().describe('Syntheses at once across every replica'),
  default_provider: TtsProvider,
  default_voice_id: VoiceId.nullable(),
  default_stt_provider: SttProvider,
  voicebox_url: z.string(),
  providers: z.array(z.object({
    id: z.enum(['fish-audio', 'voicebox', 'openai']),
    base_url: z.string(),
    model: z.string().nullable(),
    stt_model: z.string().nullable(),
    api_key_set: z.boolean(),
    api_key_masked: z.string().nullable(),
  })),
  updated_at: Timestamp.nullable(),
});
export type TtsSettingsView = z.infer<typeof TtsSettingsView>;

/** One remote provider's settings as an admin sets them; `api_key: null` removes the key. */
export const TtsProviderUpdate = z.object({
  base_url: z.url().nullable().optional(),
  api_key: z.string().min(1).max(4096).nullable().optional(),
  model: z.string().min(1).max(200).nullable().optional(),
  stt_model: z.string().min(1).max(200).nullable().optional(),
});

/** An agent's own TTS settings; absent fields follow the global ones. */
export const AgentTtsSettingsView = z.object({
  agent_id: z.string(),
  tts_enabled: z.boolean(),
  tts_provider: TtsProvider.nullable(),
  tts_voice_id: VoiceId.nullable(),
  tts_voice_name: z.string().nullable(),
  tts_format: AudioFormat.nullable(),
  updated_at: Timestamp.nullable(),
});

/** A stored file: an upload or a synthesis. */
export const AttachmentView = z.object({
  id: z.string(),
  filename: z.string(),
  content_type: z.string().describe('Sniffed from the bytes; the declared type when they say nothing'),
  declared_type: z.string().nullable().describe('What the client said it was'),
  size_bytes: z.number().int().nonnegative(),
  duration_ms: z.number().nonnegative().nullable().describe('Audio only, measured from the file'),
  sha256: z.string(),
  session_id: z.string().nullable(),
  source: z.enum(['upload', 'tts']),
  owner: z.string().nullable(),
  created_at: Timestamp,
});
export type AttachmentView = z.infer<typeof AttachmentView>;

/** What the gateway streams for a download route: a blob of the bus's blob store. */
export const BlobContent = z.object({
  bucket: z.string(),
  blob: z.string(),
  content_type: z.string(),
  size: z.number().int().nonnegative(),
  filename: z.string(),
  etag: z.string().optional(),
});

/** A file the gateway received for an upload route and put in the blob store. */
export const UploadRef = z.object({
  bucket: z.string().min(1),
  blob: z.string().min(1),
  size: z.number().int().nonnegative(),
  filename: z.string().max(255).optional(),
  declared_type: z.string().max(255).optional(),
});
export type UploadRef = z.infer<typeof UploadRef>;

/** One synthesis or transcription of the call log. */
export const TtsCallView = z.object({
  id: z.string(),
  kind: z.enum(['tts', 'stt']),
  ok: z.boolean(),
  error: z.string().nullable(),
  session_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  user_id: z.string().nullable(),
  channel: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  voice_id: z.string().nullable(),
  key_masked: z.string().nullable(),
  input_characters: z.number().int().nonnegative(),
  input_bytes: z.number().int().nonnegative(),
  output_bytes: z.number().int().nonnegative(),
  output_format: z.string().nullable(),
  attachment_id: z.string().nullable(),
  cost_usd: z.number().nonnegative(),
  audio_duration_ms: z.number().nonnegative().nullable(),
  duration_ms: z.number().nonnegative().describe('Time the engine worked (queueing excluded)'),
  started_at: Timestamp,
  finished_at: Timestamp,
  created_at: Timestamp,
});
export type TtsCallView = z.infer<typeof TtsCallView>;

/** A voice of an engine. */
export const VoiceView = z.object({
  id: z.string(),
  name: z.string(),
  provider: TtsProvider,
  languages: z.array(z.string()),
  tags: z.array(z.string()),
  description: z.string().nullable(),
});
export type VoiceView = z.infer<typeof VoiceView>;
