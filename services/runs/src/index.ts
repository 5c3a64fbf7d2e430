import { startDefinedService } from '@cadre/kit';
import type { Service, ServiceDeps } from '@cadre/runtime';
import type { RunsConfig } from './config';
import { runsService } from './service';

export { loadRunsConfig, runsConfigShape, type RunsConfig } from './config';
export { decideRun, type RunCommand, type RunDecision } from './run/decide';
export { evolve, foldRun, initialRunState, type RunState } from './run/state';
export { runsService } from './service';

/** Sources of time and ids; tests pass their own. */
export interface RunsOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/** Starts the runs service definition with a parsed config (tests and benches). */
export function startRuns(deps: ServiceDeps, config: RunsConfig, options: RunsOptions = {}): Promise<Service> {
  return startDefinedService(runsService, deps, { config, ...options });
}
