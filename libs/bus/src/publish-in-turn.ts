import type { OutgoingMessage, PublishAck, PublishAllResult } from './types';

/**
 * `publishAll` made of a publish of one message: each after the last one's ack, stopping at the
 * first that fails or once `signal` is aborted, so that no message is stored without those before
 * it. How the NATS transport keeps a stream's order (JetStream 2.9 has no atomic batch); the
 * messages are checked by the caller first.
 */
export async function publishInTurn(
  messages: readonly OutgoingMessage[],
  publish: (message: OutgoingMessage) => Promise<PublishAck>,
  signal?: AbortSignal,
): Promise<PublishAllResult> {
  const acks: PublishAck[] = [];
  for (const message of messages) {
    if (signal?.aborted) return { acks, error: signal.reason ?? new Error('publishAll aborted') };
    try {
      acks.push(await publish(message));
    } catch (error) {
      return { acks, error };
    }
  }
  return { acks };
}
