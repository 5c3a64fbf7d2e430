import type { RequestHandler } from '@cadre/bus';
import {
  NotFoundError, TTS_CANCEL_SUBJECT, ValidationError, agentTtsSettingsGet, agentTtsSettingsUpdate, attachmentContent, attachmentGet, attachmentUpload,
  ttsCallList, ttsCallListAdmin, ttsCancel, ttsSettingsGet, ttsSettingsUpdate, ttsSynthesize, ttsVoiceGet, ttsVoiceList, voiceTranscribe,
  voiceboxHealth, voiceboxProfiles,
} from '@cadre/proto';
import { endpoint, metaOf, ownerFilter, ownerOf, requireAccess, requireAdmin, requirePrincipal } from '@cadre/runtime';
import { listCalls } from './calls/calls';
import { httpOptions, type VoiceContext } from './context';
import { upstream } from './engines/http';
import { fishAudioVoice, voiceboxEngine } from './engines/remote';
import { synthesize } from './synthesis';
import { transcribe } from './transcription';

/** Every command and query of the voice service. */
export function voiceEndpoints(ctx: VoiceContext): Array<readonly [string, RequestHandler]> {
  const notFound = (id: string) => () => new NotFoundError(`no attachment '${id}'`);
  return [
    endpoint(ttsSynthesize, async (request, call) => {
      requirePrincipal(call);
      return synthesize(ctx, request, call);
    }),
    endpoint(ttsCancel, async ({ synthesis_id: id }, call) => {
      const principal = requirePrincipal(call);
      ctx.bus.ephemeral.publish(TTS_CANCEL_SUBJECT, Buffer.from(JSON.stringify({ synthesis_id: id, user_id: ownerOf(call) ?? null, admin: principal.role === 'admin' })));
      return { synthesis_id: id, requested: true as const };
    }),
    endpoint(ttsVoiceList, async (request) => {
      const provider = request.provider ?? (await ctx.settings.effective()).defaultProvider;
      const engine = await ctx.engine(provider);
      const page = await engine.voices({ search: request.search, language: request.language, tag: request.tag, page: request.page, pageSize: request.page_size });
      return { provider, voices: page.voices, total: page.total, page: request.page, page_size: request.page_size, has_more: request.page * request.page_size < page.total };
    }),
    endpoint(ttsVoiceGet, async ({ voice_id: id, provider: asked }) => {
      const provider = asked ?? (await ctx.settings.effective()).defaultProvider;
      if (provider === 'fish-audio') return fishAudioVoice(await ctx.settings.remote('fish-audio'), httpOptions(ctx.config), id);
      const page = await (await ctx.engine(provider)).voices({ search: id, page: 1, pageSize: 1000 });
      const voice = page.voices.find((v) => v.id === id);
      if (!voice) throw new NotFoundError(`${provider} has no voice "${id}"`);
      return voice;
    }),
    endpoint(voiceboxProfiles, async () => {
      const remote = await ctx.settings.remote('voicebox');
      return { url: remote.baseUrl, profiles: await voiceboxEngine(remote, httpOptions(ctx.config)).profiles() };
    }),
    endpoint(voiceboxHealth, async () => {
      const remote = await ctx.settings.remote('voicebox');
      const start = performance.now();
      try {
        const response = await upstream(`${remote.baseUrl.replace(/\/+$/, '')}/health`, {}, { provider: 'voicebox', attempts: 1, baseDelayMs: 0, timeoutMs: 5000, secrets: [] });
        const detail = await response.json().catch(() => undefined);
        return { url: remote.baseUrl, ok: true, status: response.status, latency_ms: performance.now() - start, ...(detail !== undefined ? { detail } : {}) };
      } catch (error) {
        const details = (error as { details?: { status?: number } }).details;
        return { url: remote.baseUrl, ok: false, status: details?.status ?? null, latency_ms: performance.now() - start, error: error instanceof Error ? error.message : String(error) };
      }
    }),
    endpoint(ttsSettingsGet, async (_request, call) => {
      requireAdmin(call);
      return ctx.settings.view();
    }),
    endpoint(ttsSettingsUpdate, async (request, call) => {
      requireAdmin(call);
      const owner = ownerOf(call);
      return ctx.settings.update(request, { ...metaOf(call), ...(owner ? { owner } : {}) });
    }),
    endpoint(agentTtsSettingsGet, async ({ id }, call) => {
      requirePrincipal(call);
      return ctx.settings.agent(id);
    }),
    endpoint(agentTtsSettingsUpdate, async (request, call) => {
      requireAdmin(call);
      const owner = ownerOf(call);
      return ctx.settings.updateAgent(request, { ...metaOf(call), ...(owner ? { owner } : {}) });
    }),
    endpoint(ttsCallList, async ({ limit, offset, ...filter }, call) => {
      const scope = ownerFilter(call);
      return listCalls(ctx.db, ctx.schema, scope.all ? filter : { ...filter, user_id: scope.owner }, limit, offset);
    }),
    endpoint(ttsCallListAdmin, async ({ limit, offset, ...filter }, call) => {
      requireAdmin(call);
      return listCalls(ctx.db, ctx.schema, filter, limit, offset);
    }),
    endpoint(attachmentUpload, async (request, call) => {
      requirePrincipal(call);
      const ref = request.file;
      if (!ref) throw new ValidationError('no file: send multipart/form-data with one file part, or the raw bytes with their Content-Type');
      const bytes = await ctx.attachments.fetchUpload(ref, ctx.config.VOICE_ATTACHMENT_MAX_BYTES);
      try {
        return await ctx.attachments.store({
          id: ctx.newId(), bytes, blob: ref.blob, filename: request.filename ?? ref.filename, declaredType: ref.declared_type,
          sessionId: request.session_id, source: 'upload',
        }, metaOf(call), ownerOf(call));
      } catch (error) {
        await ctx.attachments.discard(ref);
        throw error;
      }
    }),
    endpoint(attachmentGet, async ({ id }, call) => {
      const found = await ctx.attachments.read(id);
      requireAccess(call, found.owner, notFound(id));
      return found.view;
    }),
    endpoint(attachmentContent, async ({ id }, call) => {
      const found = await ctx.attachments.read(id);
      requireAccess(call, found.owner, notFound(id));
      const v = found.view;
      return { bucket: 'attachments', blob: found.blob, content_type: v.content_type, size: v.size_bytes, filename: v.filename, etag: `"${v.sha256}"` };
    }),
    endpoint(voiceTranscribe, async (request, call) => {
      requirePrincipal(call);
      return transcribe(ctx, request, call);
    }),
  ];
}
