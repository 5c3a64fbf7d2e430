import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import {
  agentTtsSettingsGet, agentTtsSettingsUpdate, attachmentContent, attachmentGet, attachmentUpload, ttsCallList, ttsCallListAdmin,
  ttsCancel, ttsSettingsGet, ttsSettingsUpdate, ttsSynthesize, ttsVoiceGet, ttsVoiceList, voiceboxHealth, voiceboxProfiles, voiceTranscribe,
} from './messages';

// Routes of the voice service (seed 002: Voice & TTS, Attachments; seed 004: transcribe).
// payload = { ...params, ...query, ...body }. Upload routes take multipart or raw bytes (the
// gateway stores the file in the `attachments` bucket); the content route streams the bytes.

/** The blob bucket of attachments (and of uploads on their way to becoming one). */
export const ATTACHMENTS_BUCKET = 'attachments';

const bodyOf = <T extends z.ZodObject>(schema: T, ...omit: readonly string[]) =>
  schema.omit(Object.fromEntries(omit.map((key) => [key, true])) as never);
const IdParam = z.object({ id: attachmentGet.request.shape.id });
const AgentParam = z.object({ id: agentTtsSettingsGet.request.shape.id });

export const voiceRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'get', path: '/v1/tts/voices', operationId: 'listTtsVoices', summary: 'List the voices of an engine (local engines too)',
    tags: ['voice'], access: 'user', query: ttsVoiceList.request, response: ttsVoiceList.reply, successStatus: 200, message: ttsVoiceList,
  }),
  defineRoute({
    method: 'get', path: '/v1/tts/voices/{voice_id}', operationId: 'getTtsVoice', summary: 'Get a voice',
    tags: ['voice'], access: 'user', params: z.object({ voice_id: ttsVoiceGet.request.shape.voice_id }),
    query: z.object({ provider: ttsVoiceGet.request.shape.provider }), response: ttsVoiceGet.reply, successStatus: 200, message: ttsVoiceGet,
  }),
  defineRoute({
    method: 'get', path: '/v1/tts/voicebox/profiles', operationId: 'listVoiceboxProfiles', summary: 'List Voicebox voice profiles',
    tags: ['voice'], access: 'user', response: voiceboxProfiles.reply, successStatus: 200, message: voiceboxProfiles,
  }),
  defineRoute({
    method: 'get', path: '/v1/tts/voicebox/health', operationId: 'getVoiceboxHealth', summary: 'Check Voicebox connectivity',
    tags: ['voice'], access: 'user', response: voiceboxHealth.reply, successStatus: 200, message: voiceboxHealth,
  }),
  defineRoute({
    method: 'post', path: '/v1/internal/tts/synthesize', operationId: 'synthesizeInternal', summary: 'Generate speech (the engine and admins)',
    tags: ['voice'], access: 'admin', body: ttsSynthesize.request, response: ttsSynthesize.reply, successStatus: 200, message: ttsSynthesize,
  }),
  defineRoute({
    method: 'post', path: '/v1/tts/synthesize', operationId: 'synthesize', summary: 'Generate speech for yourself',
    tags: ['voice'], access: 'user', body: ttsSynthesize.request, response: ttsSynthesize.reply, successStatus: 200, message: ttsSynthesize,
  }),
  defineRoute({
    method: 'post', path: '/v1/tts/syntheses/{synthesis_id}/cancel', operationId: 'cancelSynthesis', summary: 'Cancel a running synthesis',
    tags: ['voice'], access: 'user', params: ttsCancel.request, response: ttsCancel.reply, successStatus: 200, message: ttsCancel,
  }),
  defineRoute({
    method: 'get', path: '/v1/tts-calls', operationId: 'listTtsCalls', summary: 'Query TTS and transcription call logs (yours; admins: all)',
    tags: ['voice'], access: 'user', query: ttsCallList.request, response: ttsCallList.reply, successStatus: 200, message: ttsCallList,
  }),
  defineRoute({
    method: 'get', path: '/v1/admin/tts-calls', operationId: 'listTtsCallsAdmin', summary: 'Query every user\'s TTS call logs (admin)',
    tags: ['voice'], access: 'admin', query: ttsCallListAdmin.request, response: ttsCallListAdmin.reply, successStatus: 200, message: ttsCallListAdmin,
  }),
  defineRoute({
    method: 'get', path: '/v1/agents/{id}/tts-settings', operationId: 'getAgentTtsSettings', summary: 'Get agent TTS settings',
    tags: ['voice'], access: 'user', params: AgentParam, response: agentTtsSettingsGet.reply, successStatus: 200, message: agentTtsSettingsGet,
  }),
  defineRoute({
    method: 'put', path: '/v1/agents/{id}/tts-settings', operationId: 'updateAgentTtsSettings', summary: 'Update agent TTS settings (admin)',
    tags: ['voice'], access: 'admin', params: AgentParam, body: bodyOf(agentTtsSettingsUpdate.request, 'id'),
    response: agentTtsSettingsUpdate.reply, successStatus: 200, message: agentTtsSettingsUpdate,
  }),
  defineRoute({
    method: 'get', path: '/v1/admin/tts-settings', operationId: 'getTtsSettings', summary: 'Get global TTS settings (admin)',
    tags: ['voice'], access: 'admin', response: ttsSettingsGet.reply, successStatus: 200, message: ttsSettingsGet,
  }),
  defineRoute({
    method: 'put', path: '/v1/admin/tts-settings', operationId: 'updateTtsSettings', summary: 'Update global TTS settings (admin)',
    tags: ['voice'], access: 'admin', body: ttsSettingsUpdate.request, response: ttsSettingsUpdate.reply, successStatus: 200, message: ttsSettingsUpdate,
  }),
  defineRoute({
    method: 'post', path: '/v1/attachments/upload', operationId: 'uploadAttachment', summary: 'Upload a file attachment (multipart or raw bytes)',
    tags: ['attachments'], access: 'user', query: z.object({ filename: attachmentUpload.request.shape.filename, session_id: attachmentUpload.request.shape.session_id }),
    body: bodyOf(attachmentUpload.request, 'file'), upload: { field: 'file', bucket: ATTACHMENTS_BUCKET },
    response: attachmentUpload.reply, successStatus: 201, message: attachmentUpload,
  }),
  defineRoute({
    method: 'get', path: '/v1/attachments/{id}', operationId: 'getAttachment', summary: 'Get attachment metadata',
    tags: ['attachments'], access: 'user', params: IdParam, response: attachmentGet.reply, successStatus: 200, message: attachmentGet,
  }),
  defineRoute({
    method: 'get', path: '/v1/attachments/{id}/content', operationId: 'getAttachmentContent', summary: 'Download attachment content (Range requests honoured)',
    tags: ['attachments'], access: 'user', params: IdParam, response: attachmentContent.reply, download: true, successStatus: 200, message: attachmentContent,
  }),
  defineRoute({
    method: 'post', path: '/v1/voice/transcribe', operationId: 'transcribe', summary: 'Transcribe audio (base64 JSON or multipart) to text',
    tags: ['voice'], access: 'user', body: bodyOf(voiceTranscribe.request, 'file'), upload: { field: 'file', bucket: ATTACHMENTS_BUCKET },
    response: voiceTranscribe.reply, successStatus: 200, message: voiceTranscribe,
  }),
];
