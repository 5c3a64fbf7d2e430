import type { z } from 'zod';
import type { MessageDefinition } from '../messages';

/** Who may call a route. Anything not `public` needs a credential (secure by default). */
export type Access = 'public' | 'user' | 'admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One HTTP route of the gateway, described by its contract: the gateway validates against it,
 * the OpenAPI document is generated from it, and the auth test walks the table of them.
 * `path` uses OpenAPI templating (`/v1/users/{id}`).
 */
export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Schema of a successful reply (omit for 204 or an event stream). */
  readonly response?: z.ZodType;
  readonly successStatus: 200 | 201 | 202 | 204;
  /** The NATS command or query the route is translated into (absent for routes the gateway answers itself). */
  readonly message?: MessageDefinition;
  /** `text/event-stream` routes. */
  readonly stream?: boolean;
  /**
   * The body may also be sent as YAML text (`application/yaml`, `text/yaml`): it reaches the
   * service as `{ [yamlField]: text }`, the same as a JSON body carrying that field.
   */
  readonly yamlField?: string;
  /**
   * The body may be a file: `multipart/form-data` (its one file part; other parts are fields) or
   * raw bytes of any type but JSON. The gateway streams it into the bus's blob `bucket` and the
   * service receives `{ [field]: { bucket, blob, size, filename?, declared_type? }, ...fields }`.
   */
  readonly upload?: { readonly field: string; readonly bucket: string };
  /**
   * The reply names a blob (`{ bucket, blob, content_type, size, filename }`) that the gateway
   * streams as the response body, honouring `Range` requests (206, 416).
   */
  readonly download?: boolean;
  /**
   * Error statuses this route answers beyond those that follow from its shape (validation,
   * credentials, path ids, commands…): e.g. 401 for a wrong password, 404 for an id in the body.
   */
  readonly errors?: readonly ErrorStatusCode[];
}

/** The error statuses of the API (`ERROR_CODES`), as the OpenAPI document declares them. */
export type ErrorStatusCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503 | 504;

export function defineRoute(route: RouteDefinition): RouteDefinition {
  if (!route.path.startsWith('/v1/')) throw new Error(`route ${route.operationId}: paths start with /v1/`);
  // The engine's and operators' routes: admins and the engine credential (which acts as one) only.
  if (route.path.startsWith('/v1/internal/') && route.access !== 'admin') throw new Error(`route ${route.operationId}: /v1/internal/ routes are admin-only`);
  return route;
}
