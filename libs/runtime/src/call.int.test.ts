import { z } from 'zod';
import { connectNatsBus, createEmbeddedBus, type Bus, type ServiceHandle } from '@cadre/bus';
import {
  CadreError, CancelledError, DomainError, NotFoundError, TimeoutError, UnavailableError, ValidationError,
  REQUEST_ID_HEADER, defineCommand, defineErrorCode, defineQuery,
} from '@cadre/proto';
import { call, endpoint } from '@cadre/runtime';
import { createTestDatabase, startNats } from '@cadre/testing';

const greet = defineCommand({
  domain: 'calltest', name: 'greet', description: 'test',
  request: z.object({ name: z.string().min(1), times: z.number().int().positive().default(1) }),
  reply: z.object({ greeting: z.string(), times: z.number().int() }),
});
/** Served by a raw handler that breaks its own contract. */
const broken = defineQuery({
  domain: 'calltest', name: 'broken', description: 'test',
  request: z.object({}), reply: z.object({ count: z.number() }),
});
const fail = defineCommand({
  domain: 'calltest', name: 'fail', description: 'test',
  request: z.object({ how: z.enum(['not_found', 'cancelled', 'domain', 'crash', 'hang']) }), reply: z.object({}),
});
const nobody = defineQuery({ domain: 'calltest', name: 'nobody', description: 'test', request: z.object({}), reply: z.object({}) });
const stepNotRunning = defineErrorCode('step_not_running', { kind: 'conflict' });

interface Transport {
  readonly bus: Bus;
  dispose(): Promise<void>;
}

const transports: ReadonlyArray<readonly [string, () => Promise<Transport>]> = [
  ['embedded', async () => {
    const database = await createTestDatabase();
    const bus = await createEmbeddedBus({ databaseUrl: database.url });
    return { bus, dispose: async () => { await bus.drain(); await database.dispose(); } };
  }],
  ['nats', async () => {
    const nats = await startNats();
    const bus = await connectNatsBus({ servers: nats.url, name: 'call-test' });
    return { bus, dispose: async () => { await bus.drain(); await nats.dispose(); } };
  }],
];

describe.each(transports)('call over the %s bus', (_label, open) => {
  let transport: Transport;
  let service: ServiceHandle;
  let bus: Bus;
  const received: Array<{ payload: unknown; requestId: string | undefined }> = [];
  let release: () => void = () => undefined;

  beforeAll(async () => {
    transport = await open();
    bus = transport.bus;
    const [greetSubject, greetHandler] = endpoint(greet, async (request) => ({ greeting: `hello ${request.name}`, times: request.times }));
    service = await bus.serve({
      name: 'call-test', version: '0.0.0',
      endpoints: {
        [greetSubject]: (payload, context) => {
          received.push({ payload, requestId: context.headers[REQUEST_ID_HEADER] });
          return greetHandler(payload, context);
        },
        [broken.subject]: () => ({ count: 'many', secret: 'x' }),
        [fail.subject]: async (payload) => {
          const { how } = fail.request.parse(payload);
          if (how === 'not_found') throw new NotFoundError('no such thing', { id: 'x' });
          if (how === 'cancelled') throw new CancelledError('run cancelled');
          if (how === 'domain') throw new DomainError(stepNotRunning, 'step plan is not running', { step_id: 'plan' });
          if (how === 'hang') await new Promise<void>((resolve) => (release = resolve));
          throw new Error('password=hunter2');
        },
      },
    });
  });
  afterAll(async () => {
    release();
    await service.stop();
    await transport.dispose();
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('sends the parsed request with its headers and returns the typed reply', async () => {
    const reply = await call(bus, greet, { name: 'Ada', extra: 'dropped' } as { name: string }, { headers: { [REQUEST_ID_HEADER]: 'req-1' }, timeoutMs: 5000 });
    expect(reply).toEqual({ greeting: 'hello Ada', times: 1 });
    // Typed by the contract: no cast needed to read a field.
    expect(reply.greeting.length + reply.times).toBe(10);
    expect(received).toEqual([{ payload: { name: 'Ada', times: 1 }, requestId: 'req-1' }]);
  });

  it('refuses a request that breaks the contract, naming the fields, and sends nothing', async () => {
    const error = await call(bus, greet, { name: '', times: 0.5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      expect.objectContaining({ path: 'name' }), expect.objectContaining({ path: 'times' }),
    ]);
    // A request sent after it is the first one the handler sees.
    await call(bus, greet, { name: 'Bob' });
    expect(received.map((r) => r.payload)).toEqual([{ name: 'Bob', times: 1 }]);
  });

  it('turns a reply that breaks the contract into an internal error naming the subject', async () => {
    const error = await call(bus, broken, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CadreError);
    expect(error).toMatchObject({ code: 'internal', message: expect.stringContaining('calltest.qry.broken') });
    expect((error as CadreError).details).toMatchObject({ issues: [expect.objectContaining({ path: 'count' })] });
  });

  it('rebuilds typed errors of the far side as their classes', async () => {
    const missing = await call(bus, fail, { how: 'not_found' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ code: 'not_found', details: { id: 'x' } });
    const cancelled = await call(bus, fail, { how: 'cancelled' }).catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(CancelledError);
    expect(cancelled).toMatchObject({ status: 409, retryable: false });
    const domain = await call(bus, fail, { how: 'domain' }).catch((e: unknown) => e);
    expect(domain).toBeInstanceOf(DomainError);
    expect(domain).toMatchObject({ code: 'step_not_running', kind: 'conflict', status: 409, details: { step_id: 'plan' } });
    const crash = await call(bus, fail, { how: 'crash' }).catch((e: unknown) => e);
    expect(crash).toMatchObject({ code: 'internal' });
    expect((crash as Error).message).not.toContain('hunter2');
  });

  it('gets the far side\'s own validation error when the payload skips call', async () => {
    await expect(bus.request(greet.subject, { name: 5 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports nobody serving the subject as unavailable, and a slow answer as a timeout', async () => {
    await expect(call(bus, nobody, {})).rejects.toBeInstanceOf(UnavailableError);
    await expect(call(bus, fail, { how: 'hang' }, { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
    release();
  });
});
