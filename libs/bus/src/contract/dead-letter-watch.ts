import { EventEnvelope, eventSubject } from '@cadre/proto';
import type { DeadLetter, StreamMessage } from '../types';
import type { ContractContext } from './helpers';
import { barrier } from './helpers';

export const deadLetterSubject = (queue: string): string => eventSubject('bus', 'job_dead_lettered', queue);

/**
 * Dead letters of a queue as they happen: the ephemeral notices, the `job_dead_lettered`
 * events, and the letter as another bus read it the moment its event arrived.
 */
export async function watchDeadLetters(ctx: ContractContext, queue: string) {
  const notices: DeadLetter[] = [];
  const events: StreamMessage[] = [];
  const letterAtEvent: Array<DeadLetter | undefined> = [];
  const notice = ctx.c().ephemeral.subscribe(`deadletter.${queue}`, (m) => notices.push(m.json<DeadLetter>()));
  await barrier(ctx.c());
  const from = (await ctx.c().events.lastSeq()) + 1;
  const replay = await ctx.c().events.replay({ fromSeq: from, filterSubject: deadLetterSubject(queue) }, async (m) => {
    const jobId = String(EventEnvelope.parse(m.json()).data.job_id);
    letterAtEvent.push(await ctx.a().workQueue(queue).deadLetter(jobId));
    events.push(m);
  });
  return { notices, events, letterAtEvent, stop: () => Promise.all([notice.stop(), replay.stop()]) };
}
