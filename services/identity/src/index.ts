import { startDefinedService } from '@cadre/kit';
import type { Service, ServiceDeps } from '@cadre/runtime';
import type { IdentityConfig } from './config';
import { identityService } from './service';

export { loadIdentityConfig, identityConfigShape, type IdentityConfig } from './config';
export { identityService, type IdentityServiceOptions } from './service';

/** Sources of time and ids; tests pass their own (an expired token is a clock moved on). */
export interface IdentityOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** How often expired sessions leave the view and spent pending tokens their table (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Starts the identity service definition with a parsed config (tests and benches). */
export function startIdentity(deps: ServiceDeps, config: IdentityConfig, options: IdentityOptions = {}): Promise<Service> {
  const { sweepIntervalMs, ...start } = options;
  return startDefinedService(identityService, deps, { config, ...start, options: { ...(sweepIntervalMs !== undefined ? { sweepIntervalMs } : {}) } });
}
