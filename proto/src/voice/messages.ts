import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import {
  AgentTtsSettingsView, AttachmentView, AudioFormat, BlobContent, SttProvider, TtsCallView, TtsProvider, TtsProviderUpdate,
  TtsSettingsView, UploadRef, VoiceId, VoiceView,
} from './schemas';

const AgentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - or _ (at most 64)');
const RefId = z.string().min(1).max(200);
const Empty = z.object({});

/** Synthesizes speech and stores it as an attachment; refusals (disabled, too long, cancelled) answer `ok: false`. */
export const ttsSynthesize = defineCommand({
  domain: 'voice', name: 'synthesize', description: 'Synthesize speech from text and store it as an attachment',
  request: z.object({
    text: z.string().trim().min(1, 'text is empty').max(100_000),
    agent_id: AgentId.optional(),
    session_id: RefId.optional(),
    run_id: RefId.optional(),
    step_id: RefId.optional(),
    user_id: RefId.optional().describe('Who the audio is for (admins and the engine only; others synthesize for themselves)'),
    channel: z.string().min(1).max(40).default('dashboard').describe('telegram, whatsapp and discord get ogg_opus; others mp3'),
    provider: TtsProvider.optional(),
    voice_id: VoiceId.optional(),
    format: AudioFormat.optional(),
    include_audio: z.boolean().default(false).describe('Also answer the audio as base64'),
    synthesis_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).optional().describe('Name it to cancel it while it runs'),
  }),
  reply: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      call_id: z.string(),
      attachment_id: z.string(),
      filename: z.string(),
      mime_type: z.string(),
      format: AudioFormat,
      size_bytes: z.number().int().nonnegative(),
      duration_ms: z.number().nonnegative(),
      cost_usd: z.number().nonnegative(),
      provider: TtsProvider,
      model: z.string(),
      voice_id: z.string().nullable(),
      characters: z.number().int().nonnegative(),
      audio_base64: z.string().optional(),
    }),
    z.object({
      ok: z.literal(false),
      code: z.enum(['disabled', 'agent_disabled', 'over_threshold', 'cancelled']),
      reason: z.string(),
    }),
  ]),
});

/** Asks the replica running a named synthesis to stop it. */
export const ttsCancel = defineCommand({
  domain: 'voice', name: 'cancel', description: 'Cancel a running synthesis',
  request: z.object({ synthesis_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) }),
  reply: z.object({ synthesis_id: z.string(), requested: z.literal(true).describe('Every replica was told; the one running it stops it') }),
});

/** Ephemeral subject every voice replica listens on for cancellations (`{ synthesis_id, user_id? }`). */
export const TTS_CANCEL_SUBJECT = 'voice.cancel';

export const ttsVoiceList = defineQuery({
  domain: 'voice', name: 'voices', description: 'List the voices of an engine',
  request: z.object({
    provider: TtsProvider.optional(),
    search: z.string().max(200).optional(),
    language: z.string().max(40).optional(),
    tag: z.string().max(100).optional(),
    page: z.coerce.number().int().min(1).default(1),
    page_size: z.coerce.number().int().min(1).max(100).default(20),
  }),
  reply: z.object({ provider: TtsProvider, voices: z.array(VoiceView), total: z.number().int().nonnegative(), page: z.number(), page_size: z.number(), has_more: z.boolean() }),
});

export const ttsVoiceGet = defineQuery({
  domain: 'voice', name: 'voice', description: 'One voice of an engine',
  request: z.object({ voice_id: VoiceId, provider: TtsProvider.optional() }),
  reply: VoiceView,
});

export const voiceboxProfiles = defineQuery({
  domain: 'voice', name: 'voicebox_profiles', description: 'Voice profiles of the Voicebox server',
  request: Empty,
  reply: z.object({ url: z.string(), profiles: z.array(z.object({ id: z.string(), name: z.string(), language: z.string().nullable(), description: z.string().nullable() })) }),
});

export const voiceboxHealth = defineQuery({
  domain: 'voice', name: 'voicebox_health', description: 'Whether the Voicebox server answers',
  request: Empty,
  reply: z.object({ url: z.string(), ok: z.boolean(), status: z.number().int().nullable(), latency_ms: z.number().nonnegative(), detail: z.unknown().optional(), error: z.string().optional() }),
});

export const ttsSettingsGet = defineQuery({
  domain: 'voice', name: 'settings', description: 'Global TTS settings (admin)',
  request: Empty, reply: TtsSettingsView,
});

export const ttsSettingsUpdate = defineCommand({
  domain: 'voice', name: 'settings_update', description: 'Change the global TTS settings (admin)',
  request: z.object({
    tts_enabled: z.boolean().optional(),
    character_threshold: z.number().int().min(1).max(100_000).optional(),
    max_concurrent_requests: z.number().int().min(1).max(64).optional(),
    default_provider: TtsProvider.optional(),
    default_voice_id: VoiceId.nullable().optional(),
    default_stt_provider: SttProvider.optional(),
    voicebox_url: z.url().optional(),
    providers: z.object({
      'fish-audio': TtsProviderUpdate.optional(),
      voicebox: TtsProviderUpdate.optional(),
      openai: TtsProviderUpdate.optional(),
    }).optional(),
  }),
  reply: TtsSettingsView,
});

export const agentTtsSettingsGet = defineQuery({
  domain: 'voice', name: 'agent_settings', description: 'An agent\'s TTS settings',
  request: z.object({ id: AgentId }), reply: AgentTtsSettingsView,
});

export const agentTtsSettingsUpdate = defineCommand({
  domain: 'voice', name: 'agent_settings_update', description: 'Change an agent\'s TTS settings (admin)',
  request: z.object({
    id: AgentId,
    tts_enabled: z.boolean().optional(),
    tts_provider: TtsProvider.nullable().optional(),
    tts_voice_id: VoiceId.nullable().optional(),
    tts_voice_name: z.string().max(200).nullable().optional(),
    tts_format: AudioFormat.nullable().optional(),
  }),
  reply: AgentTtsSettingsView,
});

const CallFilters = {
  session_id: z.string().max(200).optional(),
  agent_id: z.string().max(200).optional(),
  user_id: z.string().max(200).optional(),
  provider: z.string().max(40).optional(),
  kind: z.enum(['tts', 'stt']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};
const CallPage = z.object({
  calls: z.array(TtsCallView),
  total: z.number().int().nonnegative(),
  limit: z.number(),
  offset: z.number(),
  has_more: z.boolean(),
  summary: z.object({
    call_count: z.number().int().nonnegative(),
    failed_count: z.number().int().nonnegative(),
    total_input_bytes: z.number().int().nonnegative(),
    total_input_chars: z.number().int().nonnegative(),
    total_output_bytes: z.number().int().nonnegative(),
    total_cost_usd: z.number().nonnegative(),
    avg_duration_ms: z.number().nonnegative(),
    avg_audio_duration_ms: z.number().nonnegative(),
  }),
});

/** The caller's calls (admins: everyone's), newest first, with a summary of all that match. */
export const ttsCallList = defineQuery({
  domain: 'voice', name: 'calls', description: 'List TTS and transcription calls',
  request: z.object(CallFilters), reply: CallPage,
});

/** Every user's calls (admin). */
export const ttsCallListAdmin = defineQuery({
  domain: 'voice', name: 'calls_admin', description: 'List every user\'s TTS and transcription calls (admin)',
  request: z.object(CallFilters), reply: CallPage,
});

/** Stores a file the gateway put in the blob store: size checked, type sniffed, audio measured. */
export const attachmentUpload = defineCommand({
  domain: 'voice', name: 'attachment_upload', description: 'Store an uploaded file',
  request: z.object({
    file: UploadRef.optional(),
    filename: z.string().min(1).max(255).optional(),
    session_id: z.string().min(1).max(200).optional(),
  }),
  reply: AttachmentView,
});

export const attachmentGet = defineQuery({
  domain: 'voice', name: 'attachment', description: 'An attachment\'s metadata',
  request: z.object({ id: z.string().min(1).max(100) }), reply: AttachmentView,
});

export const attachmentContent = defineQuery({
  domain: 'voice', name: 'attachment_content', description: 'Where an attachment\'s bytes are',
  request: z.object({ id: z.string().min(1).max(100) }), reply: BlobContent,
});

/** Speech to text: audio as base64 or an uploaded file. */
export const voiceTranscribe = defineCommand({
  domain: 'voice', name: 'transcribe', description: 'Transcribe audio to text',
  request: z.object({
    audio_base64: z.string().min(1).optional(),
    file: UploadRef.optional(),
    attachment_id: z.string().min(1).max(100).optional().describe('Transcribe a stored attachment'),
    provider: SttProvider.optional(),
    language: z.string().min(2).max(20).optional(),
    session_id: z.string().min(1).max(200).optional(),
    agent_id: z.string().min(1).max(200).optional(),
  }),
  reply: z.object({
    call_id: z.string(),
    text: z.string(),
    language: z.string(),
    duration_ms: z.number().nonnegative(),
    provider: SttProvider,
    model: z.string(),
    confidence: z.enum(['low', 'normal']).describe('low: the local engine, which misses words'),
  }),
});
