import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ContractContext } from './helpers';
import { barrier, bytes, unique, until } from './helpers';

/** The requester's trace continues in the handler: request, event, job and ephemeral message. */
export function registerTraceContext(ctx: ContractContext): void {
  describe('trace context', () => {
    beforeAll(() => {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    });
    afterAll(() => {
      propagation.disable();
      context.disable();
    });

    const span: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
    const inSpan = <T>(fn: () => T): T => context.with(trace.setSpanContext(context.active(), span), fn);
    const activeTraceId = (): string | undefined => trace.getSpanContext(context.active())?.traceId;

    it('runs the request handler inside the requester trace', async () => {
      const id = unique('tc');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: { [`${id}.trace`]: (_payload, c) => ({ traceId: activeTraceId(), traceparent: c.headers.traceparent }) },
      });
      try {
        const reply = await inSpan(() => ctx.b().request<{ traceId?: string; traceparent?: string }>(`${id}.trace`, {}));
        expect(reply.traceId).toBe(span.traceId);
        expect(reply.traceparent).toContain(span.traceId);
        const untraced = await ctx.b().request<{ traceId?: string }>(`${id}.trace`, {});
        expect(untraced.traceId).toBeUndefined();
      } finally {
        await service.stop();
      }
    });

    it('carries the trace through events, jobs and ephemeral messages', async () => {
      const topic = unique('tc');
      const seen: Record<string, string | undefined> = {};
      const consumer = await ctx.a().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>` }, async (m) => {
        seen.event = activeTraceId();
        await m.ack();
      });
      const queue = ctx.b().workQueue(unique('wq'));
      const worker = await queue.process(async () => {
        seen.job = activeTraceId();
      });
      const sub = ctx.a().ephemeral.subscribe(`${topic}.eph`, () => {
        seen.ephemeral = activeTraceId();
      });
      await barrier(ctx.a());
      try {
        await inSpan(async () => {
          await ctx.c().events.publish(`evt.${topic}.x`, bytes(1), { msgId: unique('id') });
          await ctx.c().workQueue(queue.name).enqueue(bytes(1));
          ctx.c().ephemeral.publish(`${topic}.eph`, bytes(1));
        });
        await until('all three handlers', () => 'event' in seen && 'job' in seen && 'ephemeral' in seen);
        expect(seen).toEqual({ event: span.traceId, job: span.traceId, ephemeral: span.traceId });
      } finally {
        await Promise.all([consumer.stop(), worker.stop(), sub.stop()]);
      }
    });
  });
}
