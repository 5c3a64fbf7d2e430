import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Bus } from '@cadre/bus';
import { blobStore } from './blob-stores';
import { UnavailableError, type RouteDefinition } from '@cadre/proto';
import type { Authenticator } from '../auth/authenticator';
import { requireAccess } from '../auth/middleware';
import { jsonBody } from './body';
import { sendBlob } from './download';
import { forward } from './forward';
import { assertRouteTable, bySpecificity, toExpressPath } from './paths';
import { state } from './state';
import { uploadBody, uploadOf } from './upload';
import { messagePayload, validateRequest, type ValidatedInput } from './validate';

/** A route the gateway answers itself; it gets the validated input and writes the response. */
export type LocalHandler = (req: Request, res: Response, input: ValidatedInput) => Promise<void> | void;

export interface RouterOptions {
  readonly routes: readonly RouteDefinition[];
  readonly local: Readonly<Record<string, LocalHandler>>;
  readonly bus: Bus;
  readonly authenticator: Authenticator;
  readonly authEnabled: boolean;
  readonly bodyLimit: number;
  /** Largest file an upload route takes (default: the body limit). */
  readonly uploadLimit?: number;
  readonly busTimeoutMs: number;
  /** Told about routes that have neither a message nor a handler (they answer 503). */
  readonly onUnhandled?: (route: RouteDefinition) => void;
}

/** A route of the contract that no handler was given for: as if its service were not running. */
const unhandled: LocalHandler = () => {
  throw new UnavailableError('not served by this deployment');
};

/**
 * Mounts every route of the table the same way: record the route, check access, read the
 * body, validate, then either forward to its NATS message or run the gateway's own handler.
 */
export function apiRouter(options: RouterOptions): Router {
  assertRouteTable(options.routes);
  const router = express.Router();
  for (const route of [...options.routes].sort(bySpecificity)) {
    const given = options.local[route.operationId];
    if (!route.message && !given) options.onUnhandled?.(route);
    const local: LocalHandler = given ?? unhandled;
    const answer: RequestHandler = route.message ? forwarding(route, options) : async (req, res) => local(req, res, validateRequest(route, req));
    router[route.method](
      toExpressPath(route.path),
      (_req, res, next) => {
        state(res).route = route;
        next();
      },
      requireAccess(route, options.authenticator, options.authEnabled),
      route.upload ? uploadBody(route, options.bus, options.uploadLimit ?? options.bodyLimit, options.bodyLimit) : jsonBody(route, options.bodyLimit),
      answer,
    );
  }
  return router;
}

function forwarding(route: RouteDefinition, options: RouterOptions): RequestHandler {
  return async (req, res) => {
    const current = state(res);
    let reply: unknown;
    try {
      const input = validateRequest(route, req);
      // The file is the gateway's own reference to what it stored, added after the body's contract (which cannot name it).
      const upload = uploadOf(res);
      const payload = upload && route.upload ? { ...messagePayload(input), [route.upload.field]: upload } : messagePayload(input);
      reply = await forward(options.bus, route, payload, req, {
        requestId: current.requestId,
        principal: current.principal,
        timeoutMs: options.busTimeoutMs,
      });
    } catch (error) {
      // A stored upload the service never took (or refused) is deleted.
      const upload = uploadOf(res);
      if (upload) void blobStore(options.bus, upload.bucket).then((blobs) => blobs.delete(upload.blob)).catch(() => false);
      throw error;
    }
    if (route.download) {
      await sendBlob(req, res, options.bus, reply);
      return;
    }
    // Replies are per caller (tokens, keys, private data): never stored by a cache on the way.
    res.setHeader('Cache-Control', 'no-store');
    if (route.successStatus === 204) res.status(204).end();
    else res.status(route.successStatus).json(reply ?? null);
  };
}
