import { z } from 'zod';
import type { EventDefinition } from './define-event';

/** JSON Schema (draft 2020-12) of a zod schema, as the OpenAPI and AsyncAPI documents embed it. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
}

/** JSON Schemas of every event's data, keyed by event type. */
export function eventJsonSchemas(definitions: Iterable<EventDefinition>): Record<string, Record<string, unknown>> {
  const schemas: Record<string, Record<string, unknown>> = {};
  for (const definition of definitions) {
    schemas[definition.type] = { ...toJsonSchema(definition.data), description: definition.description, 'x-version': definition.version };
  }
  return schemas;
}
