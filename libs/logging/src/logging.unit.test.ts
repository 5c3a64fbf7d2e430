import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '@cadre/logging';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON with service, instance and bound ids, and redacts secrets', () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: 'runs', instance: 'runs-1', destination: stream });
    log.child({ runId: 'r1' }).info({ password: 'hunter2' }, 'run created');
    expect(lines[0]).toMatchObject({ service: 'runs', instance: 'runs-1', runId: 'r1', msg: 'run created', level: 'info', password: '[redacted]' });
  });

  it('adds the trace id of the active span', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const tracer = new BasicTracerProvider().getTracer('test');
    const { lines, stream } = capture();
    const log = createLogger({ service: 'gw', destination: stream });
    tracer.startActiveSpan('request', (span) => {
      log.info('inside');
      span.end();
    });
    log.info('outside');
    expect(lines[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]?.traceId).toBeUndefined();
    context.disable();
  });
});
