import type { z } from 'zod';
import { toJsonSchema } from '@cadre/proto';

export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as a JSON Schema to embed in a larger document. `$schema` goes (the document
 * says its dialect once) and local `$defs` move to the document's schemas under `refBase`,
 * since a `#/$defs/…` pointer inside an embedded schema would resolve against the document root.
 */
export function embeddedSchema(schema: z.ZodType, io: 'input' | 'output', shared: Record<string, JsonSchema>, refBase: string): JsonSchema {
  const { $schema: _dialect, $defs, ...rest } = toJsonSchema(schema, io) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  if (!$defs) return rest;
  const renamed = new Map<string, string>();
  for (const name of Object.keys($defs)) {
    let target = name;
    for (let n = 2; shared[target] !== undefined; n++) target = `${name}${n}`;
    renamed.set(name, target);
    shared[target] = {};
  }
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const local = key === '$ref' && typeof value === 'string' ? /^#\/\$defs\/(.+)$/.exec(value) : null;
      out[key] = local ? `${refBase}${renamed.get(local[1]!) ?? local[1]}` : rewrite(value);
    }
    return out;
  };
  for (const [name, definition] of Object.entries($defs)) shared[renamed.get(name)!] = rewrite(definition) as JsonSchema;
  return rewrite(rest) as JsonSchema;
}

/** Splits off a schema's description (OpenAPI parameters carry it beside the schema). */
export function withoutDescription(schema: JsonSchema): { schema: JsonSchema; description?: string } {
  const { description, ...rest } = schema;
  return typeof description === 'string' ? { schema: rest, description } : { schema: rest };
}
