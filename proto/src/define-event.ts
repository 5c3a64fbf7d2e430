import { type z } from 'zod';
import { ValidationError, issuesToDetails } from './errors';
import { subjectToken } from './subjects';

/** Turns data written under an older schema version into the next version's shape. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** A named, versioned event type: its data schema and how older versions are upcast. */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  /** Owning domain; the second token of the event's subject. */
  readonly domain: string;
  /** Current schema version of `data`. */
  readonly version: number;
  readonly data: TSchema;
  readonly description: string;
  /** upcasters[n] lifts data of version n to n + 1. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return definition;
}

/**
 * Subject of an event on the bus: `evt.<domain>.<type>.<scope>`, where scope is the id that
 * consumers filter on (run, swarm, session, user…), so filtering happens on the server.
 */
export function eventSubject(domain: string, type: string, scope: string): string {
  return `evt.${subjectToken(domain)}.${subjectToken(type)}.${subjectToken(scope)}`;
}

/**
 * Filter of event subjects by any of domain, type and scope; a part not given matches any
 * token (`eventFilter({ type: 'run_created' })` is `evt.*.run_created.*`).
 */
export function eventFilter(parts: { readonly domain?: string; readonly type?: string; readonly scope?: string }): string {
  const token = (part: string | undefined) => (part === undefined ? '*' : subjectToken(part));
  return `evt.${token(parts.domain)}.${token(parts.type)}.${token(parts.scope)}`;
}

/** Filter matching every event on the stream. */
export const ALL_EVENTS = 'evt.>';

/** Filter matching every event of one scope (e.g. one run), whatever its domain and type. */
export function scopeFilter(scope: string): string {
  return eventFilter({ scope });
}

/** Filter matching every event of one domain: `evt.<domain>.>`. */
export function domainFilter(domain: string): string {
  return `evt.${subjectToken(domain)}.>`;
}

/** The subject of an event type without its scope, `evt.<domain>.<type>`: each of its events adds one token. */
export function eventTypePrefix(definition: Pick<EventDefinition, 'domain' | 'type'>): string {
  return `evt.${subjectToken(definition.domain)}.${subjectToken(definition.type)}`;
}

/** Filter matching every event of one type, whatever its scope: `evt.<domain>.<type>.>`. */
export function eventTypeFilter(definition: Pick<EventDefinition, 'domain' | 'type'>): string {
  return `${eventTypePrefix(definition)}.>`;
}

/** The set of known event types: validates data and upcasts old versions. */
export class EventRegistry {
  private readonly definitions = new Map<string, EventDefinition>();

  constructor(definitions: Iterable<EventDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: EventDefinition): this {
    const existing = this.definitions.get(definition.type);
    if (existing && existing !== definition) throw new Error(`event type ${definition.type} is defined twice`);
    this.definitions.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  get(type: string): EventDefinition {
    const definition = this.definitions.get(type);
    if (!definition) throw new ValidationError(`unknown event type "${type}"`, { type });
    return definition;
  }

  types(): string[] {
    return [...this.definitions.keys()].sort();
  }

  all(): EventDefinition[] {
    return [...this.definitions.values()];
  }

  /** Validates data written now (current version); throws ValidationError naming the fields. */
  validate(type: string, data: unknown): Record<string, unknown> {
    const definition = this.get(type);
    const parsed = definition.data.safeParse(data);
    if (!parsed.success) {
      throw new ValidationError(`invalid data for event ${type}`, issuesToDetails(parsed.error.issues));
    }
    return parsed.data as Record<string, unknown>;
  }

  /** Brings stored data of `schemaVersion` up to the current version. */
  upcast(type: string, data: Record<string, unknown>, schemaVersion: number): Record<string, unknown> {
    const definition = this.get(type);
    let current = data;
    for (let v = schemaVersion; v < definition.version; v++) {
      const step = definition.upcasters?.[v];
      if (!step) throw new ValidationError(`no upcaster for ${type} from version ${v}`, { type, version: v });
      current = step(current);
    }
    return current;
  }
}
