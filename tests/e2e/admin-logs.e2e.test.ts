import { createPool } from '@cadre/runtime';
import { Writable } from 'node:stream';
import type { Pool } from 'pg';
import { createParser } from 'eventsource-parser';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { createLogger, type Logger } from '@cadre/logging';
import type { ContainerList, LogLine, LogTailReply } from '@cadre/proto';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';

// The system here is started with real loggers (the shared test system logs nothing), so each
// instance has lines to show.

const ENV = { PORT: '0', HOST: '127.0.0.1', ENGINE_INTERNAL_TOKEN: 'engine-internal-token-for-tests', SSE_HEARTBEAT_MS: '200' };

function quietLogger(service: string, instance: string): Logger {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  return createLogger({ service, instance, level: 'debug', destination: sink });
}

interface LoggedSystem {
  readonly baseUrl: string;
  readonly identity: Service;
  readonly gateway: Gateway;
  readonly ids: { readonly identity: string; readonly gateway: string };
  stop(): Promise<void>;
}

async function startLoggedSystem(transport: 'embedded' | 'nats'): Promise<LoggedSystem> {
  const database: TestDatabase = await createTestDatabase('cadre_admin_logs');
  const nats: TestNats | undefined = transport === 'nats' ? await startNats() : undefined;
  const buses: Bus[] = [];
  const pools: Pool[] = [];
  const shared = nats ? undefined : await createEmbeddedBus({ databaseUrl: database.url });
  if (shared) buses.push(shared);
  const deps = async (service: string, instance: string) => {
    const bus = shared ?? (await connectNatsBus({ servers: nats!.url, name: instance }));
    if (!buses.includes(bus)) buses.push(bus);
    const pool = createPool({ connectionString: database.url, max: 3 });
    pools.push(pool);
    return { bus, pool, logger: quietLogger(service, instance), instance };
  };
  const ids = { identity: `identity-${transport}-1`, gateway: `gateway.${transport}.1` };
  const identity = await startIdentity(await deps('identity', ids.identity), loadIdentityConfig(ENV));
  const gateway = await startGateway(await deps('gateway', ids.gateway), loadGatewayConfig(ENV));
  return {
    baseUrl: gateway.url,
    identity,
    gateway,
    ids,
    async stop() {
      await gateway.service.shutdown('test over');
      await identity.shutdown('test over');
      await Promise.allSettled(buses.map((bus) => bus.drain()));
      await Promise.allSettled(pools.map((pool) => pool.end()));
      await nats?.dispose();
      await database.dispose();
    },
  };
}

interface LogStream {
  readonly status: number;
  readonly lines: Array<LogLine & { id: number }>;
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  close(): void;
}

async function openLogStream(baseUrl: string, id: string, token: string, query: Record<string, string> = {}, lastEventId?: number): Promise<LogStream> {
  const url = new URL(`/v1/admin/containers/${encodeURIComponent(id)}/logs`, baseUrl);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const abort = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const response = await fetch(url, { headers, signal: abort.signal });
  const lines: Array<LogLine & { id: number }> = [];
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === 'log') lines.push({ ...(JSON.parse(event.data) as LogLine), id: Number(event.id) });
    },
  });
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          parser.feed(value);
        }
      } catch {
        // Closed by the test.
      }
    })();
  }
  return {
    status: response.status,
    lines,
    async waitFor(predicate, timeoutMs = 10_000) {
      let found: LogLine | undefined;
      await eventually(() => {
        found = lines.find(predicate);
        expect(found).toBeDefined();
      }, timeoutMs);
      return found!;
    },
    close: () => abort.abort(),
  };
}

describe.each(['embedded', 'nats'] as const)('container logs (%s)', (transport) => {
  let system: LoggedSystem;
  let admin: string;
  let member: string;

  beforeAll(async () => {
    system = await startLoggedSystem(transport);
    admin = (await setupAdmin(system.baseUrl)).access_token;
    member = (await createMember(system.baseUrl, admin)).tokens.access_token;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('lists every running instance with its service, host, version and a live status', async () => {
    const reply = await call<ContainerList>(system.baseUrl, 'GET', '/v1/admin/containers', { token: admin });
    expect(reply.status).toBe(200);
    const byId = new Map(reply.body.containers.map((c) => [c.id, c]));
    expect(byId.get(system.ids.identity)).toMatchObject({ service: 'identity', status: 'live', pid: process.pid, transport });
    expect(byId.get(system.ids.gateway)).toMatchObject({ service: 'gateway', status: 'live' });
    for (const container of reply.body.containers) {
      expect(Date.parse(container.started_at)).not.toBeNaN();
      expect(Date.parse(container.last_heartbeat)).toBeGreaterThanOrEqual(Date.parse(container.started_at));
    }
  });

  it('returns the tail of an instance as JSON, with a line it just logged', async () => {
    const marker = `tail-${transport}-${Date.now()}`;
    system.identity.logger.info({ marker }, 'admin logs marker');
    const reply = await call<LogTailReply>(system.baseUrl, 'GET', `/v1/admin/containers/${system.ids.identity}/logs?follow=false&tail=20`, { token: admin });
    expect(reply.status).toBe(200);
    expect(reply.body.instance).toBe(system.ids.identity);
    const last = reply.body.lines.at(-1);
    expect(last).toMatchObject({ marker, msg: 'admin logs marker', level: 'info', service: 'identity' });
    expect(reply.body.lines.length).toBeLessThanOrEqual(20);
  });

  it('streams the tail, then live lines, filtered by level, and resumes after the last id', async () => {
    const before = `before-${transport}-${Date.now()}`;
    system.gateway.service.logger.warn({ marker: before }, 'before the stream');
    const stream = await openLogStream(system.baseUrl, system.ids.gateway, admin, { tail: '10', level: 'warn' });
    expect(stream.status).toBe(200);
    try {
      await stream.waitFor((line) => line.marker === before);
      const quiet = `quiet-${transport}-${Date.now()}`;
      const loud = `loud-${transport}-${Date.now()}`;
      system.gateway.service.logger.info({ marker: quiet }, 'not shown at warn');
      system.gateway.service.logger.error({ marker: loud }, 'shown at warn');
      await stream.waitFor((line) => line.marker === loud);
      expect(stream.lines.some((line) => line.marker === quiet)).toBe(false);
      expect(stream.lines.every((line) => line.level === 'warn' || line.level === 'error' || line.level === 'fatal')).toBe(true);
      const ids = stream.lines.map((line) => line.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);

      // Resume: a client that saw up to `before` gets what came after it, and nothing twice.
      const seen = stream.lines.find((line) => line.marker === before)!;
      const resumed = await openLogStream(system.baseUrl, system.ids.gateway, admin, { level: 'warn' }, seen.id);
      try {
        await resumed.waitFor((line) => line.marker === loud);
        expect(resumed.lines.every((line) => line.id > seen.id)).toBe(true);
      } finally {
        resumed.close();
      }
    } finally {
      stream.close();
    }
  });

  it('keeps admin routes to admins: a member gets 403, no credential 401', async () => {
    expect((await call(system.baseUrl, 'GET', '/v1/admin/containers', { token: member })).status).toBe(403);
    expect((await call(system.baseUrl, 'GET', `/v1/admin/containers/${system.ids.identity}/logs?follow=false`, { token: member })).status).toBe(403);
    const stream = await openLogStream(system.baseUrl, system.ids.identity, member);
    expect(stream.status).toBe(403);
    expect((await call(system.baseUrl, 'GET', '/v1/admin/containers')).status).toBe(401);
  });

  it('answers 404 for an instance nobody heard of', async () => {
    const reply = await call(system.baseUrl, 'GET', '/v1/admin/containers/no-such-instance/logs?follow=false', { token: admin });
    expect(reply.status).toBe(404);
  });
});
