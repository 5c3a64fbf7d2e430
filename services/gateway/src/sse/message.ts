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
  /** The envelope's `meta.owner` (a user id), from the same parse. */
  owner(): string | undefined;
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
  let parsed: { data?: Readonly<Record<string, unknown>>; owner?: string } | null = null;
  const envelope = (): { data?: Readonly<Record<string, unknown>>; owner?: string } => {
    if (parsed === null) {
      parsed = {};
      try {
        const raw = JSON.parse(text) as { data?: unknown; meta?: { owner?: unknown } };
        if (typeof raw.data === 'object' && raw.data !== null) parsed.data = raw.data as Record<string, unknown>;
        if (typeof raw.meta?.owner === 'string') parsed.owner = raw.meta.owner;
      } catch {
        // not JSON: no data, no owner
      }
    }
    return parsed;
  };
  return {
    seq: message.seq,
    domain,
    type,
    scope,
    frame: Buffer.from(sseFrame(message.seq, type, text)),
    data: () => envelope().data,
    owner: () => envelope().owner,
  };
}
