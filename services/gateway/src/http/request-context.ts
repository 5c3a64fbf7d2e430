import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import type { Logger } from '@cadre/logging';
import type { GatewayMetrics } from './metrics';
import { setState, state } from './state';
import { toHttpError } from './errors';

const MAX_REQUEST_ID = 128;

/** A caller's X-Request-Id, reduced to characters safe in logs and headers; else a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  const cleaned = (header ?? '').replace(/[^A-Za-z0-9._:@/+=-]/g, '').slice(0, MAX_REQUEST_ID);
  return cleaned.length > 0 ? cleaned : randomUUID();
}

/**
 * First middleware: request id (accepted or generated, echoed), API version, and — once the
 * response is over — one access-log line and the latency metric, labelled by route template
 * so that ids in paths do not explode the metric's cardinality.
 */
export function requestContext(logger: Logger, metrics: GatewayMetrics): RequestHandler {
  const accessLog = logger.child({ component: 'http' });
  return (req, res, next) => {
    const requestId = requestIdFrom(req.get('x-request-id'));
    // With tracing on, the request's span carries its id, so a trace can be found from a log line and back.
    trace.getActiveSpan()?.setAttribute('cadre.request_id', requestId);
    setState(res, { requestId, startedAt: process.hrtime.bigint() });
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('X-API-Version', '1');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    metrics.httpInFlight.inc();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      metrics.httpInFlight.dec();
      const current = state(res);
      const seconds = Number(process.hrtime.bigint() - current.startedAt) / 1e9;
      const route = current.route?.path ?? 'unmatched';
      const status = res.headersSent ? res.statusCode : 0;
      metrics.httpDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      const line = {
        requestId, method: req.method, path: req.path, route, status, durationMs: Math.round(seconds * 1e6) / 1e3,
        userId: current.principal?.user_id, completed: res.writableFinished,
      };
      const failedStatus = current.failure === undefined ? 0 : toHttpError(current.failure).status;
      if (failedStatus === 500) accessLog.error({ ...line, err: current.failure }, 'request failed');
      else if (failedStatus === 503) accessLog.warn({ ...line, err: current.failure }, 'request unanswered');
      else {
        accessLog.info(line, 'request');
      }
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
