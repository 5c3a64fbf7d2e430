import { CadreError, CancelledError, ConflictError, type AudioFormat, type ttsSynthesize } from '@cadre/proto';
import { metaOf, ownerOf, type Call } from '@cadre/runtime';
import type { z } from 'zod';
import { EXTENSIONS, MIME_TYPES, encodeWav, formatForChannel } from './audio/encode';
import { writeCallRow } from './calls/calls';
import type { VoiceContext } from './context';

type Request = z.infer<typeof ttsSynthesize.request>;
type Reply = z.input<typeof ttsSynthesize.reply>;

/** Errors that mean the call never reached an engine (a missing binary, bad input): nothing is logged. */
const notAttempted = (error: unknown): boolean =>
  error instanceof CadreError && (error.code === 'engine_not_installed' || error.kind === 'validation_failed' || error.kind === 'rate_limited');

/** Who a synthesis is for: admins and the engine may name a user; anyone else speaks for themselves. */
function userFor(request: Request, call: Call): string | undefined {
  const admin = call.principal?.role === 'admin';
  return admin ? (request.user_id ?? ownerOf(call)) : ownerOf(call);
}

/**
 * One synthesis: settings (request, then the agent's, then the global ones), refusals (disabled,
 * over the threshold), a slot of the global concurrency limit, the engine, the encoder, the
 * attachment, then the call log (`tts_call`, and `tts_audio` when it is for a session or run).
 */
export async function synthesize(ctx: VoiceContext, request: Request, call: Call): Promise<Reply> {
  const [settings, agent] = await Promise.all([
    ctx.settings.effective(),
    request.agent_id !== undefined ? ctx.settings.agent(request.agent_id) : undefined,
  ]);
  if (!settings.ttsEnabled) return { ok: false, code: 'disabled', reason: 'text-to-speech is disabled by an admin' };
  if (agent && !agent.tts_enabled) return { ok: false, code: 'agent_disabled', reason: `text-to-speech is disabled for agent ${agent.agent_id}` };
  const characters = [...request.text].length;
  if (characters > settings.characterThreshold) {
    return { ok: false, code: 'over_threshold', reason: `the text has ${characters} characters, over the threshold of ${settings.characterThreshold}` };
  }
  const provider = request.provider ?? agent?.tts_provider ?? settings.defaultProvider;
  const voiceId = request.voice_id
    ?? (agent?.tts_voice_id != null && (agent.tts_provider === null || agent.tts_provider === provider) ? agent.tts_voice_id : undefined)
    ?? (provider === settings.defaultProvider && settings.defaultVoiceId !== null ? settings.defaultVoiceId : undefined);
  const format: AudioFormat = request.format ?? agent?.tts_format ?? formatForChannel(request.channel);
  const userId = userFor(request, call);
  const engine = await ctx.engine(provider);

  if (request.synthesis_id !== undefined && ctx.running.has(request.synthesis_id)) {
    throw new ConflictError(`a synthesis named '${request.synthesis_id}' is already running`);
  }
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), ctx.config.VOICE_ENGINE_TIMEOUT_MS + ctx.config.VOICE_SLOT_WAIT_MS);
  if (request.synthesis_id !== undefined) ctx.running.set(request.synthesis_id, { controller, owner: userId });
  const callId = ctx.newId();
  const refs = {
    ...(request.session_id ? { session_id: request.session_id } : {}), ...(request.agent_id ? { agent_id: request.agent_id } : {}),
    ...(userId ? { user_id: userId } : {}), ...(request.run_id ? { run_id: request.run_id } : {}), ...(request.step_id ? { step_id: request.step_id } : {}),
  };
  const meta = { ...metaOf(call), ...(userId !== undefined ? { owner: userId } : {}) };
  const scope = request.session_id ?? request.run_id ?? userId ?? callId;
  const inputBytes = Buffer.byteLength(request.text, 'utf8');
  const logCall = async (data: Record<string, unknown>, extra: readonly { type: string; data: Record<string, unknown> }[] = []): Promise<void> => {
    const full = { id: callId, ...refs, channel: request.channel, provider, input_characters: characters, input_bytes: inputBytes, ...data };
    const appended = await ctx.store.append(`tts-call-${callId}`, 'no_stream', [{ type: 'tts_call', data: full, meta }, ...extra.map((e) => ({ ...e, meta }))], { subjectScope: scope });
    // Read-your-writes: the row is there before the reply; the projection passes over it.
    await writeCallRow(ctx.db, ctx.schema, 'tts', full as unknown as Parameters<typeof writeCallRow>[3], appended.events[0]?.occurredAt ?? new Date().toISOString());
  };

  let started: Date | undefined;
  try {
    const release = await ctx.limiter.acquire(settings.maxConcurrent, controller.signal);
    let made;
    let audio: Buffer;
    let finished: Date;
    try {
      started = ctx.clock();
      made = await engine.synthesize({ text: request.text, voiceId, format, signal: controller.signal });
      audio = made.format === format ? made.audio : await encodeWav(made.audio, format, { timeoutMs: ctx.config.VOICE_ENGINE_TIMEOUT_MS, path: ctx.config.VOICE_ENGINE_PATH, signal: controller.signal });
      finished = ctx.clock();
    } finally {
      await release();
    }
    const mime = MIME_TYPES[format];
    // The store measures the duration from the audio while it writes the bytes.
    const attachment = await ctx.attachments.store({
      id: ctx.newId(), bytes: audio, filename: `speech-${callId}.${EXTENSIONS[format]}`, declaredType: undefined, sessionId: request.session_id,
      source: 'tts', contentType: mime, extension: EXTENSIONS[format],
    }, metaOf(call), userId);
    const durationMs = attachment.duration_ms ?? 0;
    const audioEvent = request.session_id !== undefined || request.run_id !== undefined
      ? [{ type: 'tts_audio', data: { attachment_id: attachment.id, call_id: callId, ...refs, format, mime_type: mime, size_bytes: audio.length, duration_ms: durationMs } }]
      : [];
    await logCall({
      ok: true, model: made.model, ...(made.voiceId ? { voice_id: made.voiceId } : {}), ...(made.keyMasked ? { key_masked: made.keyMasked } : {}),
      output_bytes: audio.length, output_format: format, attachment_id: attachment.id, cost_usd: made.costUsd, audio_duration_ms: durationMs,
      duration_ms: finished.getTime() - started.getTime(), started_at: started.toISOString(), finished_at: finished.toISOString(), instance: ctx.instance,
    }, audioEvent);
    return {
      ok: true, call_id: callId, attachment_id: attachment.id, filename: attachment.filename, mime_type: mime, format, size_bytes: audio.length,
      duration_ms: durationMs, cost_usd: made.costUsd, provider, model: made.model, voice_id: made.voiceId ?? null, characters,
      ...(request.include_audio ? { audio_base64: audio.toString('base64') } : {}),
    };
  } catch (error) {
    if (notAttempted(error)) throw error;
    const cancelled = error instanceof CancelledError || controller.signal.aborted;
    const at = ctx.clock();
    const message = cancelled ? 'cancelled' : error instanceof CadreError ? error.message : 'internal error';
    try {
      await logCall({
        ok: false, error: message, model: provider, output_bytes: 0, cost_usd: 0, duration_ms: started ? at.getTime() - started.getTime() : 0,
        started_at: (started ?? at).toISOString(), finished_at: at.toISOString(),
      });
    } catch (logError) {
      ctx.logger.error({ err: logError, callId }, 'failed synthesis could not be logged');
    }
    if (cancelled) return { ok: false, code: 'cancelled', reason: 'the synthesis was cancelled' };
    ctx.logger.warn({ callId, provider, error: message }, 'synthesis failed');
    throw error;
  } finally {
    clearTimeout(timeout);
    if (request.synthesis_id !== undefined) ctx.running.delete(request.synthesis_id);
  }
}
