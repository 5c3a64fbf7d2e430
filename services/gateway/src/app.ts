import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Bus } from '@cadre/bus';
import type { Logger } from '@cadre/logging';
import { NotFoundError, type RouteDefinition } from '@cadre/proto';
import type { Authenticator } from './auth/authenticator';
import type { GatewayConfig } from './config';
import { dashboardRouter } from './dashboard/static';
import { docsRouter } from './docs/ui';
import { cors } from './http/cors';
import { sendError } from './http/errors';
import type { GatewayMetrics } from './http/metrics';
import { requestContext } from './http/request-context';
import { apiRouter, type LocalHandler } from './http/router';
import { state } from './http/state';

export interface AppParts {
  readonly config: GatewayConfig;
  readonly routes: readonly RouteDefinition[];
  readonly local: Readonly<Record<string, LocalHandler>>;
  readonly bus: Bus;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly onUnhandled?: (route: RouteDefinition) => void;
  /** The dashboard's built files (undefined: `/` says it is not built; null: no dashboard). */
  readonly dashboardDir?: string | null;
}

/** Every failure ends here: the one envelope, no stack, no internal names; the cause goes to the access log. */
const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  state(res).failure = error;
  sendError(res, error);
};

/** The Express app: request context, CORS, the docs UI, the dashboard, the route table, then 404 and errors. */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', parts.config.TRUST_PROXY);
  app.use(requestContext(parts.logger, parts.metrics));
  app.use(cors(parts.config.CORS_ORIGINS));
  app.use(docsRouter());
  if (parts.dashboardDir !== null) app.use(dashboardRouter(parts.dashboardDir));
  app.use(apiRouter({
    routes: parts.routes,
    local: parts.local,
    bus: parts.bus,
    authenticator: parts.authenticator,
    authEnabled: parts.config.AUTH_ENABLED,
    bodyLimit: parts.config.BODY_LIMIT,
    uploadLimit: parts.config.UPLOAD_LIMIT,
    busTimeoutMs: parts.config.BUS_TIMEOUT_MS,
    ...(parts.onUnhandled ? { onUnhandled: parts.onUnhandled } : {}),
  }));
  app.use((_req, res) => {
    sendError(res, new NotFoundError('Not found'));
  });
  app.use(errorHandler);
  return app;
}
