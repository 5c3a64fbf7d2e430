import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { assertName, assertSubjectFilter, ValidationError } from '@cadre/proto';
import type { ConsumerOptions, DeliverFrom } from '../types';
import { lingerOf } from '../timing';
import { isNotFound } from './errors';
import type { BusLogger } from '../logger';

/** Defaults of the contract for a durable consumer. */
export const CONSUMER_DEFAULTS = { ackWaitMs: 30_000, maxAckPending: 256 } as const;

/** Throws a ValidationError for options no server would accept. */
export function validateConsumerOptions(options: ConsumerOptions): void {
  assertName('durable', options.durable);
  if (options.filterSubject !== undefined) assertSubjectFilter(options.filterSubject);
  positive('ackWaitMs', options.ackWaitMs);
  positive('maxDeliver', options.maxDeliver);
  positive('maxAckPending', options.maxAckPending);
  // Honoured by the embedded bus only, but checked alike, so options valid on one transport are on the other.
  lingerOf(options.lingerMs);
  const from = options.deliverFrom;
  if (from?.kind === 'sequence' && !(Number.isInteger(from.seq) && from.seq >= 1)) {
    throw new ValidationError('deliverFrom.seq must be a positive integer', { seq: from.seq });
  }
  if (from?.kind === 'time' && !(from.time instanceof Date && !Number.isNaN(from.time.getTime()))) {
    throw new ValidationError('deliverFrom.time must be a valid date');
  }
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new ValidationError(`${name} must be positive`, { [name]: value });
  }
}

/** The JetStream config of a durable pull consumer with explicit acks. */
export function durableConfig(options: ConsumerOptions): Partial<ConsumerConfig> {
  return {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitMs ?? CONSUMER_DEFAULTS.ackWaitMs),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: options.maxAckPending ?? CONSUMER_DEFAULTS.maxAckPending,
    ...(options.filterSubject !== undefined && options.filterSubject !== '>' ? { filter_subject: options.filterSubject } : {}),
    ...deliverPolicy(options.deliverFrom ?? { kind: 'all' }),
  };
}

function deliverPolicy(from: DeliverFrom): Partial<ConsumerConfig> {
  switch (from.kind) {
    case 'all':
      return { deliver_policy: DeliverPolicy.All };
    case 'new':
      return { deliver_policy: DeliverPolicy.New };
    case 'sequence':
      return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.seq };
    case 'time':
      return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() };
  }
}

/**
 * Creates the durable consumer, or brings an existing one's ack wait and limits in line (its
 * start position and filter stay as they were: they define the consumer).
 */
export async function ensureDurable(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>, logger: BusLogger): Promise<ConsumerInfo> {
  const durable = config.durable_name ?? '';
  for (let attempt = 0; ; attempt++) {
    let existing: ConsumerInfo | undefined;
    try {
      existing = await jsm.consumers.info(stream, durable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (existing) {
      const c = existing.config;
      if ((config.filter_subject ?? undefined) !== (c.filter_subject || undefined)) {
        logger.warn({ durable, wanted: config.filter_subject, actual: c.filter_subject }, 'durable consumer keeps its original filter');
      }
      if (c.ack_wait === config.ack_wait && c.max_deliver === config.max_deliver && c.max_ack_pending === config.max_ack_pending) {
        return existing;
      }
      return jsm.consumers.update(stream, durable, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
      });
    }
    try {
      return await jsm.consumers.add(stream, config);
    } catch (error) {
      // A replica created it first with its own start time: use theirs.
      if (attempt >= 2) throw error;
    }
  }
}
