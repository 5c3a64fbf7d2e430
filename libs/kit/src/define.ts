import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely, Migration } from 'kysely';
import type { Pool } from 'pg';
import type { z } from 'zod';
import type { Bus, RequestHandler, Subscription } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { EventDefinition, EventRegistry, RouteDefinition, Visibility } from '@cadre/proto';
import type { ServiceMetrics } from '@cadre/runtime';


/** A domain of events a service appends (its store refuses any other) and who sees them. */
export interface EventDomain {
  readonly name: string;
  readonly visibility: Visibility;
}

/** What the shell built for a service before its own context: everything `context` may use. */
export interface ServiceKit<TConfig, TDatabase = unknown> {
  readonly name: string;
  readonly version: string;
  readonly instance: string;
  readonly config: TConfig;
  readonly bus: Bus;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** The service's Postgres schema. */
  readonly schema: string;
  /** The event store of the schema; it appends only events of the service's domains. */
  readonly store: EventStore;
  /** Every event type the service knows (Cadre's and its own), with upcasters. */
  readonly registry: EventRegistry;
  /** Kysely on the service's schema, typed by its one `Database` interface. */
  readonly db: Kysely<TDatabase>;
  readonly metrics: ServiceMetrics;
}

/** Migrations by name; a name starts with its date (`2026_12_05_0001_…`) and a shipped one never changes. */
export type Migrations = Readonly<Record<string, Migration>>;

/** A long-running part of a service (consumer, worker, sweeper): stopped first on shutdown. */
export type Worker = Subscription;

/**
 * A domain service as one value. The shell (`startDefinedService`) owns what every service
 * needs — config parsing, metrics, the event store with its domain guard, migrations, the
 * outbox relay, probes, the instance heartbeat, graceful shutdown — and calls these in order:
 * `context` once, then `workers`, then `endpoints`.
 */
/** A service's environment variables: their zod shape (keys are the names) and how they are parsed. */
export interface ConfigSpec<TConfig> {
  readonly shape: z.ZodRawShape;
  load(env: Readonly<Record<string, string | undefined>>): TConfig;
}

export interface ServiceDefinition<TConfig = unknown, TContext = unknown, TDatabase = unknown, TOptions = unknown> {
  readonly name: string;
  readonly description: string;
  /** The package's version (`packageVersion(__dirname)`). */
  readonly version: string;
  /** The service's environment variables. */
  readonly config: ConfigSpec<TConfig>;
  /** The Postgres schema the service keeps its events and tables in. */
  schema(config: TConfig): string;
  /** Event domains it appends, with their visibility on the stream. */
  readonly events: readonly EventDomain[];
  /** Event types defined by the service itself, beyond Cadre's contracts (e.g. a service defined in a test). */
  readonly eventTypes?: readonly EventDefinition[];
  /**
   * Frozen, timestamped migrations of its own tables (run in name order, once each); a function
   * of the schema name for migrations written in SQL.
   */
  readonly migrations: Migrations | ((schema: string) => Migrations);
  /** HTTP routes the gateway mounts for it (their messages go to this service). */
  readonly routes: readonly RouteDefinition[];
  /** Builds what its handlers and workers share. */
  context(kit: ServiceKit<TConfig, TDatabase>, options: TOptions | undefined): Promise<TContext> | TContext;
  /** Command and query handlers by subject. */
  endpoints(context: TContext): Iterable<readonly [string, RequestHandler]>;
  /**
   * Commands that honour an `Idempotency-Key` themselves, in their events (ids derived from the
   * key, a decider that sees the repeat): the kit's claim table is left out of their way. Every
   * other command gets the kit's (see idempotency.ts).
   */
  readonly ownIdempotency?: readonly { readonly subject: string }[];
  /** Consumers, projections, dispatchers, sweepers, executors: started in order after the context. */
  workers?(context: TContext): Promise<readonly Worker[]> | readonly Worker[];
  /** Fields of the "started" log line. */
  started?(context: TContext): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Any service definition, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceDefinition = ServiceDefinition<any, any, any, any>;

const NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** Checks a definition once, where it is written. */
export function defineService<TConfig, TContext, TDatabase = unknown, TOptions = unknown>(
  definition: ServiceDefinition<TConfig, TContext, TDatabase, TOptions>,
): ServiceDefinition<TConfig, TContext, TDatabase, TOptions> {
  if (!NAME.test(definition.name)) throw new Error(`service name "${definition.name}": lower-case letters, digits and '-'`);
  if (definition.events.length === 0) throw new Error(`service ${definition.name}: name at least one event domain`);
  for (const route of definition.routes) {
    if (route.message === undefined) throw new Error(`service ${definition.name}: route ${route.operationId} has no message to send it`);
  }
  for (const type of definition.eventTypes ?? []) {
    if (!definition.events.some((domain) => domain.name === type.domain)) {
      throw new Error(`service ${definition.name}: event ${type.type} is of domain ${type.domain}, which the service does not name`);
    }
  }
  return definition;
}

/** The `version` of the package.json nearest above `dir` (a service's `__dirname`). */
export function packageVersion(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    try {
      const pkg = JSON.parse(readFileSync(join(current, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(current) === current) return '0.0.0';
  }
}
