import type { Bus } from '@cadre/bus';
import type { StatusReply } from '@cadre/proto';
import type { GatewayMetrics } from '../http/metrics';
import type { LocalHandler } from '../http/router';
import type { SseHub } from '../sse/hub';
import type { Probes } from './probes';

export interface StatusDeps {
  readonly bus: Bus;
  readonly probes: Probes;
  readonly hub: SseHub;
  readonly liveSeq: () => number;
  readonly metrics: GatewayMetrics;
  readonly version: string;
  readonly instance: string;
  readonly startedAt: number;
  readonly openApi: (serverUrl: string) => Record<string, unknown>;
  /** PUBLIC_URL: the server the API documents name. */
  readonly publicUrl?: string;
  readonly asyncApi: (host: string) => Record<string, unknown>;
}

/** The Host header, when it looks like one (it ends up in the served documents). */

async function lastSeq(bus: Bus): Promise<number | null> {
  try {
    return await bus.events.lastSeq();
  } catch {
    return null;
  }
}

/** The routes the gateway answers itself, by operationId (the stream is added beside them). */
export function statusHandlers(deps: StatusDeps): Record<string, LocalHandler> {
  return {
    getHealth: (_req, res) => {
      res.json({ status: 'ok' });
    },

    getReady: async (_req, res) => {
      const checks = await deps.probes.checks();
      if (checks.bus && checks.identity) {
        res.json({ status: 'ready', checks });
        return;
      }
      // The envelope of any 503, with what did not answer: a probe's reader needs to know.
      res.setHeader('Retry-After', '1');
      res.status(503).json({ error: 'Not ready', code: 'unavailable', details: { checks } });
    },

    getStatus: async (_req, res) => {
      const [checks, database, last, inFlight] = await Promise.all([
        deps.probes.checks(), deps.probes.database(), lastSeq(deps.bus), deps.metrics.httpInFlight.get(),
      ]);
      const sse = deps.hub.stats();
      const body: StatusReply = {
        status: checks.bus && checks.identity && database ? 'ok' : 'degraded',
        version: deps.version,
        instance: deps.instance,
        uptime_seconds: Math.round((Date.now() - deps.startedAt) / 100) / 10,
        bus: { transport: deps.bus.transport, healthy: checks.bus },
        database: { healthy: database },
        identity: { healthy: checks.identity },
        events: { last_seq: last, live_seq: deps.liveSeq() },
        sse: { clients: sse.clients, catching_up: sse.catchingUp, dropped: sse.dropped },
        http: { in_flight: Math.max(0, (inFlight.values[0]?.value ?? 1) - 1) },
      };
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
    },

    getOpenApiDocument: (req, res) => {
      // The configured public URL, never the request's Host header (which any client sets).
      res.json(deps.openApi(deps.publicUrl ?? '/'));
    },

    getAsyncApiDocument: (req, res) => {
      res.json(deps.asyncApi(deps.publicUrl !== undefined ? new URL(deps.publicUrl).host : 'localhost:8000'));
    },
  };
}
