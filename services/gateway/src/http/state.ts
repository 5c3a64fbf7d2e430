import type { Response } from 'express';
import type { Principal, RouteDefinition } from '@cadre/proto';

/** What the gateway learns about a request as it passes the middleware. */
export interface RequestState {
  readonly requestId: string;
  readonly startedAt: bigint;
  route?: RouteDefinition;
  principal?: Principal;
  /** Set when the request failed, for the access log (never sent to the caller). */
  failure?: unknown;
}

const KEY = 'cadre';

export function setState(res: Response, state: RequestState): void {
  res.locals[KEY] = state;
}

export function state(res: Response): RequestState {
  const value = res.locals[KEY] as RequestState | undefined;
  if (!value) throw new Error('request state is missing: the request-context middleware must run first');
  return value;
}
