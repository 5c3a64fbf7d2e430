import type { StreamMessage } from '@cadre/bus';

/**
 * An event as the SSE code handles it: the subject's tokens (`evt.<domain>.<type>.<scope>`)
 * for filtering without decoding, and the SSE frame built once and written to every client.
 */
export interface FeedMessage {
  readonly seq: number;
  readonly domain: string;
  readonly type: string;
  readonly scope: string;
  readonly frame: Buffer;
  /** The envelope's `data`, parsed on first use and kept (only some filters need it). */
  data(): Readonly<Record<string, unknown>> | undefined;
}

const decoder = new TextDecoder();

/** `id:`, `event:`, `data:` lines; a payload spanning lines (pretty JSON) becomes several `data:` lines, as SSE requires. */
export function sseFrame(seq: number, type: string, payload: string): string {
  const data = payload.includes('\n') || payload.includes('\r') ? payload.split(/\r\n|\r|\n/).join('\ndata: ') : payload;
  return `id: ${seq}\nevent: ${type}\ndata: ${data}\n\n`;
}

export function toFeedMessage(message: StreamMessage): FeedMessage {
  const [, domain = '', type = 'message', scope = ''] = message.subject.split('.');
  const text = decoder.decode(message.data);
  let parsed: Readonly<Record<string, unknown>> | undefined | null = null;
  return {
    seq: message.seq,
    domain,
    type,
    scope,
    frame: Buffer.from(sseFrame(message.seq, type, text)),
    data() {
      if (parsed === null) {
        try {
          const envelope = JSON.parse(text) as { data?: unknown };
          parsed = typeof envelope.data === 'object' && envelope.data !== null ? (envelope.data as Record<string, unknown>) : undefined;
        } catch {
          parsed = undefined;
        }
      }
      return parsed;
    },
  };
}
