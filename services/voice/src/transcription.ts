import { CadreError, NotFoundError, ValidationError, type voiceTranscribe } from '@cadre/proto';
import { metaOf, ownerOf, requireAccess, type Call } from '@cadre/runtime';
import type { z } from 'zod';
import { audioDurationMs, sniffType } from './audio/probe';
import { writeCallRow } from './calls/calls';
import { httpOptions, type VoiceContext } from './context';
import { openAiTranscribe, pocketsphinxTranscribe, type Transcript } from './stt/engines';

type Request = z.infer<typeof voiceTranscribe.request>;
type Reply = z.input<typeof voiceTranscribe.reply>;

const KINDS: Readonly<Record<string, 'wav' | 'mp3' | 'ogg'>> = { 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/vnd.wave': 'wav', 'audio/mpeg': 'mp3', 'audio/ogg': 'ogg', 'audio/opus': 'ogg' };

async function audioOf(ctx: VoiceContext, request: Request, call: Call): Promise<Buffer> {
  const given = [request.audio_base64, request.file, request.attachment_id].filter((x) => x !== undefined).length;
  if (given !== 1) {
    if (request.file) await ctx.attachments.discard(request.file);
    throw new ValidationError('send the audio one way: audio_base64, a file (multipart or raw bytes) or attachment_id');
  }
  if (request.file) {
    try {
      return await ctx.attachments.fetchUpload(request.file, ctx.config.VOICE_ATTACHMENT_MAX_BYTES);
    } finally {
      await ctx.attachments.discard(request.file);
    }
  }
  if (request.attachment_id) {
    const found = await ctx.attachments.read(request.attachment_id);
    requireAccess(call, found.owner, () => new NotFoundError(`no attachment '${request.attachment_id}'`));
    return ctx.attachments.bytes(found.blob);
  }
  const text = request.audio_base64 ?? '';
  if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) throw new ValidationError('audio_base64 is not base64');
  const audio = Buffer.from(text, 'base64');
  if (audio.length > ctx.config.VOICE_ATTACHMENT_MAX_BYTES) throw new CadreError('payload_too_large', `the audio is larger than ${ctx.config.VOICE_ATTACHMENT_MAX_BYTES} bytes`);
  return audio;
}

/** Speech to text with the chosen engine (the request's, else the global default), logged as an `stt_call`. */
export async function transcribe(ctx: VoiceContext, request: Request, call: Call): Promise<Reply> {
  const audio = await audioOf(ctx, request, call);
  const sniffed = await sniffType(audio.subarray(0, 4100));
  const kind = sniffed ? KINDS[sniffed.mime.split(';')[0] ?? ''] : undefined;
  if (!kind) throw new CadreError('unsupported_media_type', `the audio must be wav, mp3 or ogg (Opus); its bytes say ${sniffed?.mime ?? 'it is none of these'}`);
  const audioMs = await audioDurationMs(audio, sniffed?.mime);
  const settings = await ctx.settings.effective();
  const provider = request.provider ?? settings.defaultSttProvider;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ctx.config.VOICE_ENGINE_TIMEOUT_MS);
  const userId = ownerOf(call);
  const callId = ctx.newId();
  const started = ctx.clock();
  const log = async (data: Record<string, unknown>): Promise<void> => {
    const finished = ctx.clock();
    const full = {
      id: callId, ...(request.session_id ? { session_id: request.session_id } : {}), ...(request.agent_id ? { agent_id: request.agent_id } : {}),
      ...(userId ? { user_id: userId } : {}), provider, input_bytes: audio.length, duration_ms: finished.getTime() - started.getTime(),
      started_at: started.toISOString(), finished_at: finished.toISOString(), ...(audioMs !== undefined ? { audio_duration_ms: audioMs } : {}), ...data,
    };
    const appended = await ctx.store.append(`stt-call-${callId}`, 'no_stream', [{ type: 'stt_call', data: full, meta: { ...metaOf(call), ...(userId ? { owner: userId } : {}) } }],
      { subjectScope: request.session_id ?? userId ?? callId });
    await writeCallRow(ctx.db, ctx.schema, 'stt', full as unknown as Parameters<typeof writeCallRow>[3], appended.events[0]?.occurredAt ?? finished.toISOString());
  };
  let result: Transcript;
  try {
    const input = { audio, kind, language: request.language, signal: controller.signal };
    result = provider === 'pocketsphinx'
      ? await pocketsphinxTranscribe(input, ctx.config.VOICE_POCKETSPHINX_MODEL_DIR, ctx.config.VOICE_ENGINE_TIMEOUT_MS, ctx.config.VOICE_ENGINE_PATH)
      : await openAiTranscribe(input, await ctx.settings.remote('openai', true), httpOptions(ctx.config), audioMs);
  } catch (error) {
    if (!(error instanceof CadreError && (error.code === 'engine_not_installed' || error.kind === 'validation_failed'))) {
      await log({ ok: false, error: error instanceof CadreError ? error.message : 'internal error', model: provider, output_characters: 0, cost_usd: 0 })
        .catch((logError: unknown) => ctx.logger.error({ err: logError }, 'failed transcription could not be logged'));
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  await log({
    ok: true, model: result.model, output_characters: [...result.text].length, language: result.language, cost_usd: result.costUsd,
    ...(result.keyMasked ? { key_masked: result.keyMasked } : {}),
  });
  return {
    call_id: callId, text: result.text, language: result.language, duration_ms: result.durationMs ?? audioMs ?? 0, provider, model: result.model,
    confidence: provider === 'pocketsphinx' ? 'low' : 'normal',
  };
}
