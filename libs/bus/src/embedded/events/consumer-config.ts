import { assertName, assertSubjectFilter, ValidationError } from '@cadre/proto';
import type { ConsumerOptions, DeliverFrom } from '../../types';
import type { Db } from '../db';
import type { BusLogger } from '../../logger';
import { lingerOf } from '../../timing';

/** Consumer options with defaults applied and checked. */
export interface ConsumerConfig {
  readonly durable: string;
  readonly filter: string | null;
  readonly deliverFrom: DeliverFrom;
  readonly ackWaitMs: number;
  readonly maxDeliver: number | null;
  readonly maxAckPending: number;
  /** Kept by the process, not the consumer's row: replicas may linger differently. */
  readonly lingerMs: number;
}

/** Applies defaults; bad options are a ValidationError. */
export function consumerConfig(options: ConsumerOptions): ConsumerConfig {
  if (!options || typeof options !== 'object') throw new ValidationError('consumer options are required');
  assertName('durable', options.durable);
  if (options.filterSubject !== undefined) assertEventFilter(options.filterSubject);
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  if (!Number.isInteger(ackWaitMs) || ackWaitMs < 1) throw new ValidationError('ackWaitMs must be a positive integer');
  const maxAckPending = options.maxAckPending ?? 256;
  if (!Number.isInteger(maxAckPending) || maxAckPending < 1) throw new ValidationError('maxAckPending must be a positive integer');
  const maxDeliver = options.maxDeliver;
  // -1 is how NATS spells "unlimited"; accept it for options written against either transport.
  if (maxDeliver !== undefined && maxDeliver !== -1 && (!Number.isInteger(maxDeliver) || maxDeliver < 1)) {
    throw new ValidationError('maxDeliver must be a positive integer');
  }
  const lingerMs = lingerOf(options.lingerMs);
  const deliverFrom = options.deliverFrom ?? { kind: 'all' };
  checkDeliverFrom(deliverFrom);
  return {
    durable: options.durable,
    filter: options.filterSubject === undefined || options.filterSubject === '>' ? null : options.filterSubject,
    deliverFrom,
    ackWaitMs,
    maxDeliver: maxDeliver === undefined || maxDeliver === -1 ? null : maxDeliver,
    maxAckPending,
    lingerMs,
  };
}

/** Throws a ValidationError unless `filter` is a filter that can match event subjects (`evt.…`). */
export function assertEventFilter(filter: string): void {
  assertSubjectFilter(filter);
  const first = filter.split('.')[0];
  if (first !== 'evt' && first !== '*' && first !== '>') {
    throw new ValidationError(`event filters start with "evt." (got "${filter}")`, { filter });
  }
}

function checkDeliverFrom(from: DeliverFrom): void {
  switch (from?.kind) {
    case 'all':
    case 'new':
      return;
    case 'sequence':
      if (!Number.isInteger(from.seq) || from.seq < 1) throw new ValidationError('deliverFrom.seq must be a positive integer');
      return;
    case 'time':
      if (!(from.time instanceof Date) || Number.isNaN(from.time.getTime())) throw new ValidationError('deliverFrom.time must be a valid Date');
      return;
    default:
      throw new ValidationError('deliverFrom.kind must be all, new, sequence or time');
  }
}

/**
 * Creates the consumer, or brings an existing one's ack wait and limits in line. Its position
 * and filter stay as they were (they define the consumer; deliverFrom is ignored, as the
 * contract says) — the NATS transport does the same. Returns the filter it keeps.
 */
export async function upsertConsumer(db: Db, config: ConsumerConfig, logger: BusLogger): Promise<string | null> {
  const messages = db.t('stream_messages');
  const head = `(SELECT coalesce(max(seq), 0) FROM ${messages})`;
  const from = config.deliverFrom;
  const [start, extra]: [string, unknown[]] =
    from.kind === 'new' ? [head, []]
    : from.kind === 'sequence' ? ['$6::bigint - 1', [from.seq]]
    : from.kind === 'time' ? [`coalesce((SELECT min(seq) - 1 FROM ${messages} WHERE time >= $6), ${head})`, [from.time]]
    : ['0', []];
  const { rows } = await db.query<{ filter: string | null }>('create consumer',
    `INSERT INTO ${db.t('consumers')} (name, filter, ack_wait_ms, max_deliver, max_ack_pending, delivered_seq)
     VALUES ($1, $2, $3, $4, $5, ${start})
     ON CONFLICT (name) DO UPDATE SET ack_wait_ms = EXCLUDED.ack_wait_ms,
       max_deliver = EXCLUDED.max_deliver, max_ack_pending = EXCLUDED.max_ack_pending
     RETURNING filter`,
    [config.durable, config.filter, config.ackWaitMs, config.maxDeliver, config.maxAckPending, ...extra]);
  const kept = rows[0]?.filter ?? null;
  if (kept !== config.filter) logger.warn({ durable: config.durable, wanted: config.filter, actual: kept }, 'embedded bus: durable consumer keeps its original filter');
  return kept;
}
