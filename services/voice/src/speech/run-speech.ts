import type { Kysely } from 'kysely';
import type { Subscription } from '@cadre/bus';
import { CadreError, domainFilter, type EventEnvelope } from '@cadre/proto';
import type { Call } from '@cadre/runtime';
import type { VoiceContext } from '../context';
import type { VoiceDatabase } from '../storage/database';
import { synthesize } from '../synthesis';

/** The text of a step's or run's outputs: its string values, in order, one paragraph each. */
export function answerOf(outputs: Readonly<Record<string, unknown>> | undefined): string {
  return Object.values(outputs ?? {}).filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== '').join('\n\n');
}

/** The voice service acting for the engine: an admin credential of no user. */
const ENGINE_CALL: Call = { principal: { kind: 'service', role: 'admin', credential_id: 'voice-run-speech' }, requestId: undefined, clientAddress: undefined };

/**
 * Speaks a run's final answer when the run asked for it (`speak: true` on `run_created`): follows
 * the runs' events with a durable consumer (one at a time, in order), keeps the last completed
 * step's answer and agent, and on `run_complete` synthesizes it for the run's owner with the
 * agent's settings — `tts_audio` names the attachment. What became of it (spoken, refused, failed)
 * is kept, so a redelivered `run_complete` speaks nothing twice.
 */
export async function startRunSpeech(ctx: VoiceContext, db: Kysely<VoiceDatabase>): Promise<Subscription> {
  return ctx.bus.events.consume({
    durable: `${ctx.schema}-run-speech`, filterSubject: domainFilter('runs'), deliverFrom: { kind: 'new' }, maxAckPending: 1, ackWaitMs: ctx.config.VOICE_ENGINE_TIMEOUT_MS + 30_000,
  }, async (message) => {
    const event = message.json<EventEnvelope>();
    const data = event.data as { run_id?: string; step_id?: string; agent_id?: string; speak?: boolean; outputs?: Record<string, unknown> };
    const runId = data.run_id;
    if (runId === undefined) {
      await message.ack();
      return;
    }
    if (event.type === 'run_created' && data.speak === true) {
      await db.insertInto('run_speech').values({ run_id: runId, owner: event.meta.owner ?? null }).onConflict((c) => c.column('run_id').doNothing()).execute();
    } else if (event.type === 'step_complete') {
      await db.updateTable('run_speech').set({ agent_id: data.agent_id ?? null, step_id: data.step_id ?? null, answer: answerOf(data.outputs), updated_at: new Date() })
        .where('run_id', '=', runId).where('outcome', 'is', null).execute();
    } else if (event.type === 'run_complete') {
      const row = await db.selectFrom('run_speech').selectAll().where('run_id', '=', runId).executeTakeFirst();
      if (row && row.outcome === null) {
        const text = row.answer || answerOf(data.outputs);
        let outcome: string;
        let callId: string | null = null;
        if (text === '') {
          outcome = 'nothing to say';
        } else {
          try {
            const reply = await synthesize(ctx, {
              text, run_id: runId, channel: 'dashboard', include_audio: false,
              ...(row.agent_id ? { agent_id: row.agent_id } : {}), ...(row.step_id ? { step_id: row.step_id } : {}), ...(row.owner ? { user_id: row.owner } : {}),
            }, ENGINE_CALL);
            outcome = reply.ok ? 'spoken' : `${reply.code}: ${reply.reason}`;
            callId = reply.ok ? reply.call_id : null;
          } catch (error) {
            // A failure is in the call log (or, for a missing engine, in the service's log): the run is not retried for it.
            outcome = `failed: ${error instanceof CadreError ? error.message : 'internal error'}`;
            ctx.logger.warn({ runId, err: error }, 'final answer not spoken');
          }
        }
        await db.updateTable('run_speech').set({ outcome: outcome.slice(0, 1000), call_id: callId, updated_at: new Date() }).where('run_id', '=', runId).execute();
      }
    }
    await message.ack();
  });
}
