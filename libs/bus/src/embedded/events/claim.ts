import type { Db } from '../db';
import { compileFilter, type CompiledFilter } from './filter';
import type { MessageRow } from './message';

/** A message handed to this replica, with the delivery count that fences its later nak/working. */
export interface Claimed {
  readonly row: MessageRow;
  readonly deliveries: number;
}

export interface ClaimResult {
  /** The consumer no longer exists (deleted). */
  readonly gone: boolean;
  readonly messages: readonly Claimed[];
  readonly ackWaitMs: number;
  /** When the next pending message falls due for redelivery, if any. */
  readonly nextDueMs: number | undefined;
  /** maxAckPending bounded the claim: a message settled may make room for more. */
  readonly limited: boolean;
  /** The claim's window of the stream ended before its head: more may match now. */
  readonly behind: boolean;
}

/**
 * The consumer's filter as the last claim found it, compiled: kept by the consumer loop between
 * claims, so each claim sends it along instead of reading and compiling it again.
 */
export interface KnownFilter {
  text: string | null;
  compiled: CompiledFilter;
}

export function knownFilter(text: string | null): KnownFilter {
  return { text, compiled: compileFilter(text) };
}

/** A row of the `claim` function: the claim's description (seq null), or a claimed message. */
interface ClaimRow extends Omit<MessageRow, 'seq'> {
  readonly seq: string | null;
  readonly deliveries: number | null;
  readonly gone: boolean;
  readonly filter: string | null;
  readonly ack_wait_ms: number | null;
  readonly due_ms: number | null;
  readonly limited: boolean | null;
  readonly behind: boolean | null;
}

/**
 * Hands up to `want` messages of a durable consumer to the caller: first those due for
 * redelivery, then new ones past its position, within maxAckPending and a window of the stream
 * (a claim that stopped at the window's end says it is `behind`) — one call of the bus
 * schema's `claim` function (schema.ts), a single round trip and transaction.
 *
 * Replicas (several buses, several processes) share a consumer through the lock on its row:
 * each claim holds `FOR UPDATE` on the consumer until it commits, so two replicas never hand
 * out the same message, and the position moves strictly forward. A consumer-wide lock is
 * simpler than SKIP LOCKED on messages because the position (a single counter) must be
 * advanced in order anyway; the lock is held only for the claim, never while handlers run, so
 * replicas still process in parallel. Waiting (not SKIP LOCKED) on the row matters: a replica
 * woken by a publish must not skip its claim just because another one is mid-claim with an
 * older snapshot.
 *
 * `known` is the filter the caller expects the consumer to have; when the stored one differs
 * (the consumer was re-created with another), the function claims nothing and says so, and the
 * claim is made again with that filter (`known` is updated).
 */
export async function claimMessages(db: Db, durable: string, want: number, known: KnownFilter): Promise<ClaimResult> {
  for (;;) {
    const { exact, like, regex } = known.compiled;
    const { rows } = await db.prepared<ClaimRow>('claim messages',
      `SELECT seq, deliveries, subject, msg_id, headers, data, "time", gone, filter, ack_wait_ms, due_ms, limited, behind
         FROM ${db.t('claim')}($1, $2, $3, $4, $5, $6)`,
      [durable, want, known.text, exact, like, regex]);
    const head = rows.find((row) => row.seq === null);
    if (!head || head.gone) return { gone: true, messages: [], ackWaitMs: 0, nextDueMs: undefined, limited: false, behind: false };
    if (head.filter !== known.text) {
      Object.assign(known, knownFilter(head.filter));
      continue;
    }
    const dueMs = head.due_ms;
    return {
      gone: false,
      ackWaitMs: head.ack_wait_ms ?? 0,
      messages: rows.filter((row): row is ClaimRow & { seq: string; deliveries: number } => row.seq !== null)
        .map(({ seq, subject, msg_id, headers, data, time, deliveries }) => ({ row: { seq, subject, msg_id, headers, data, time }, deliveries })),
      nextDueMs: dueMs === null || dueMs === undefined ? undefined : Math.max(0, dueMs),
      limited: head.limited === true,
      behind: head.behind === true,
    };
  }
}
