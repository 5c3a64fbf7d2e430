import { ValidationError } from '@cadre/proto';
import { withTraceContext } from '../../trace';
import type { ReplayOptions, StreamMessage, Subscription } from '../../types';
import { loopSubscription, retryDelay, type BusContext } from '../context';
import { subjectsFor, Wakeup } from '../wakeup';
import { assertEventFilter } from './consumer-config';
import { filterCondition } from './filter';
import { MESSAGE_COLUMNS, toStreamMessage, type MessageRow } from './message';

const PAGE = 256;
/**
 * Most messages of the stream one page looks at past the position: sequences have no gaps, so
 * that is a range of at most WINDOW keys, which the primary key's index reads (the statement is
 * planned at each call, with the range's bounds in hand). Unbounded, a replay with a
 * narrow filter far behind (a projection following from its checkpoint, a live feed resumed)
 * read all of what was left at every page, and sorted what matched.
 */
const WINDOW = 4096;

/**
 * Ordered delivery from a sequence, then live. No gap is possible because publishes are
 * serialised by the stream's advisory lock and numbered inside it (publish.ts): seq N+1 is
 * only assigned after N committed or rolled back, so a reader that sees N+1 can already see
 * N, and "everything up to the head I saw" is final. Without that lock bigserial values could
 * commit out of order and a reader would have to hold its position below unconfirmed gaps.
 */
export async function replay(
  ctx: BusContext,
  options: ReplayOptions,
  handler: (message: StreamMessage) => Promise<void> | void,
): Promise<Subscription> {
  ctx.assertAccepting('replay');
  const fromSeq = options?.fromSeq ?? 1;
  if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new ValidationError('fromSeq must be a positive integer', { fromSeq });
  if (options?.filterSubject !== undefined) assertEventFilter(options.filterSubject);
  const filter = filterCondition(options?.filterSubject, 3);
  // One statement, so the page and the head come from the same snapshot.
  const text = `SELECT h.last, m.* FROM (SELECT coalesce(max(seq), 0) AS last FROM ${ctx.db.t('stream_messages')}) h
      LEFT JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM ${ctx.db.t('stream_messages')}
                          WHERE seq > $1 AND seq <= $1 + ${WINDOW} AND ${filter.sql} ORDER BY seq LIMIT $2) m ON true
      ORDER BY m.seq`;
  return loopSubscription(ctx, async (signal, ready) => {
    // This process's publishes wake the replay when one matches its filter.
    const wakeup = new Wakeup([{ pulse: ctx.hub.pulse('events'), wants: subjectsFor(() => options?.filterSubject ?? null) }], signal);
    let position = fromSeq - 1;
    let failures = 0;
    try {
      while (!signal.aborted) {
        let page: { last: number; rows: MessageRow[] };
        const from = position;
        try {
          const { rows } = await ctx.db.query<MessageRow & { last: string }>('replay', text, [position, PAGE, ...filter.values]);
          page = { last: Number(rows[0]?.last ?? 0), rows: rows.filter((r) => r.seq !== null) };
          failures = 0;
        } catch (error) {
          ready();
          if (failures++ === 0) ctx.logger.warn({ err: (error as Error).message }, 'embedded bus: replay cannot read, retrying');
          await wakeup.sleep(retryDelay(failures));
          continue;
        }
        ready();
        for (const row of page.rows) {
          if (signal.aborted) return;
          const message = toStreamMessage(row);
          try {
            await withTraceContext(message.headers, () => handler(message));
          } catch (error) {
            // The replay ends rather than skip a message (as on NATS); the caller sees `closed`.
            ctx.logger.warn({ err: error, seq: message.seq }, 'embedded bus: replay handler failed; replay ends');
            return;
          }
          position = message.seq;
        }
        if (page.rows.length === PAGE) continue;
        // Everything matching up to the end of the window, or the head of that snapshot if
        // nearer, has been delivered; a window that ended before the head is followed at once.
        position = Math.max(position, Math.min(page.last, from + WINDOW));
        if (position < page.last) continue;
        await wakeup.sleep(ctx.pollMs);
      }
    } finally {
      wakeup.close();
    }
  });
}
