import { z } from 'zod';
import { defineEvent } from '../define-event';
import { AudioFormat, SttProvider, TtsProvider } from './schemas';

// Events of the voice domain: the call log (syntheses and transcriptions), audio spoken for a
// session or run, stored attachments, and the settings. Provider keys never enter an event:
// they are kept sealed in the voice schema and an event says only that one was set (masked).

const CallRefs = {
  session_id: z.string().optional(),
  agent_id: z.string().optional(),
  user_id: z.string().optional(),
  run_id: z.string().optional(),
  step_id: z.string().optional(),
};

export const ttsCall = defineEvent({
  type: 'tts_call', domain: 'voice', version: 1, description: 'One synthesis: engine, voice, characters, bytes, cost, durations',
  data: z.object({
    id: z.string(),
    ...CallRefs,
    channel: z.string().optional(),
    ok: z.boolean(),
    error: z.string().optional(),
    provider: TtsProvider,
    model: z.string(),
    voice_id: z.string().optional(),
    key_masked: z.string().optional(),
    input_characters: z.number().int().nonnegative(),
    input_bytes: z.number().int().nonnegative(),
    output_bytes: z.number().int().nonnegative(),
    output_format: AudioFormat.optional(),
    attachment_id: z.string().optional(),
    cost_usd: z.number().nonnegative(),
    audio_duration_ms: z.number().nonnegative().optional(),
    duration_ms: z.number().nonnegative(),
    started_at: z.string(),
    finished_at: z.string(),
    /** The replica that ran it. */
    instance: z.string().optional(),
  }),
});

export const sttCall = defineEvent({
  type: 'stt_call', domain: 'voice', version: 1, description: 'One transcription: engine, audio length, characters out, cost',
  data: z.object({
    id: z.string(),
    ...CallRefs,
    ok: z.boolean(),
    error: z.string().optional(),
    provider: SttProvider,
    model: z.string(),
    key_masked: z.string().optional(),
    input_bytes: z.number().int().nonnegative(),
    output_characters: z.number().int().nonnegative(),
    language: z.string().optional(),
    cost_usd: z.number().nonnegative(),
    audio_duration_ms: z.number().nonnegative().optional(),
    duration_ms: z.number().nonnegative(),
    started_at: z.string(),
    finished_at: z.string(),
  }),
});

export const ttsAudio = defineEvent({
  type: 'tts_audio', domain: 'voice', version: 1, description: 'Speech was synthesized for a session or a run: the attachment to play',
  data: z.object({
    attachment_id: z.string(),
    call_id: z.string(),
    ...CallRefs,
    format: AudioFormat,
    mime_type: z.string(),
    size_bytes: z.number().int().nonnegative(),
    duration_ms: z.number().nonnegative(),
  }),
});

export const attachmentStored = defineEvent({
  type: 'attachment_stored', domain: 'voice', version: 1, description: 'A file was stored (an upload or a synthesis)',
  data: z.object({
    attachment_id: z.string(),
    bucket: z.string(),
    blob: z.string(),
    filename: z.string(),
    content_type: z.string(),
    declared_type: z.string().optional(),
    size_bytes: z.number().int().nonnegative(),
    duration_ms: z.number().nonnegative().optional(),
    sha256: z.string(),
    session_id: z.string().optional(),
    source: z.enum(['upload', 'tts']),
  }),
});

export const ttsSettingsUpdated = defineEvent({
  type: 'tts_settings_updated', domain: 'voice', version: 1, description: 'The global TTS settings were changed (keys masked only)',
  data: z.object({
    tts_enabled: z.boolean().optional(),
    character_threshold: z.number().int().optional(),
    max_concurrent_requests: z.number().int().optional(),
    default_provider: TtsProvider.optional(),
    default_voice_id: z.string().nullable().optional(),
    default_stt_provider: SttProvider.optional(),
    voicebox_url: z.string().optional(),
    providers: z.record(z.string(), z.object({
      base_url: z.string().nullable().optional(),
      model: z.string().nullable().optional(),
      stt_model: z.string().nullable().optional(),
      api_key_masked: z.string().nullable().optional(),
    })).optional(),
  }),
});

export const agentTtsSettingsUpdated = defineEvent({
  type: 'agent_tts_settings_updated', domain: 'voice', version: 1, description: 'An agent\'s TTS settings were changed',
  data: z.object({
    agent_id: z.string(),
    tts_enabled: z.boolean().optional(),
    tts_provider: TtsProvider.nullable().optional(),
    tts_voice_id: z.string().nullable().optional(),
    tts_voice_name: z.string().nullable().optional(),
    tts_format: AudioFormat.nullable().optional(),
  }),
});

/** Every event of the voice domain. */
export const voiceEvents = [ttsCall, sttCall, ttsAudio, attachmentStored, ttsSettingsUpdated, agentTtsSettingsUpdated] as const;
