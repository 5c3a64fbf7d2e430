import type { z } from 'zod';

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'] as const;
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const;
const SCHEMA_VALUES = ['items', 'not', 'contains', 'propertyNames', 'if', 'then', 'else'] as const;
const NUMBERS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const;
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const;
const MAX_DEPTH = 32;

type Path = ReadonlyArray<string | number>;
type Report = (path: Path, message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkType(type: unknown, path: Path, report: Report): void {
  const types = Array.isArray(type) ? type : [type];
  if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
    report([...path, 'type'], `expected one of ${[...TYPES].join(', ')} (or a list of them)`);
  }
}

/**
 * Checks the shape of the JSON Schema keywords that providers' structured-output modes use.
 * Not a full meta-schema validation: unknown keywords pass, known ones must be well-formed,
 * which is what catches the usual mistakes (a typo in `type`, `required: verdict`, …).
 */
function checkNode(node: unknown, path: Path, depth: number, report: Report): void {
  if (typeof node === 'boolean') return;
  if (!isRecord(node)) return report(path, 'expected a JSON Schema object');
  if (depth > MAX_DEPTH) return report(path, `schema nested deeper than ${MAX_DEPTH} levels`);
  if ('type' in node) checkType(node.type, path, report);
  if ('required' in node && !(Array.isArray(node.required) && node.required.every((r) => typeof r === 'string'))) {
    report([...path, 'required'], 'expected a list of property names');
  }
  if ('enum' in node && !(Array.isArray(node.enum) && node.enum.length > 0)) report([...path, 'enum'], 'expected a non-empty list');
  for (const key of NUMBERS) {
    if (key in node && typeof node[key] !== 'number') report([...path, key], 'expected a number');
  }
  for (const key of COUNTS) {
    const count = node[key];
    if (key in node && !(typeof count === 'number' && Number.isInteger(count) && count >= 0)) report([...path, key], 'expected a non-negative integer');
  }
  for (const key of SCHEMA_MAPS) {
    if (!(key in node)) continue;
    const map = node[key];
    if (!isRecord(map)) {
      report([...path, key], 'expected an object of schemas');
      continue;
    }
    for (const [name, child] of Object.entries(map)) checkNode(child, [...path, key, name], depth + 1, report);
  }
  for (const key of SCHEMA_LISTS) {
    if (!(key in node)) continue;
    const list = node[key];
    if (!Array.isArray(list) || list.length === 0) {
      report([...path, key], 'expected a non-empty list of schemas');
      continue;
    }
    list.forEach((child, index) => checkNode(child, [...path, key, index], depth + 1, report));
  }
  for (const key of SCHEMA_VALUES) {
    if (key in node) checkNode(node[key], [...path, key], depth + 1, report);
  }
  if ('additionalProperties' in node) checkNode(node.additionalProperties, [...path, 'additionalProperties'], depth + 1, report);
}

/** zod refinement: `schema` must be a JSON Schema describing an object (the step's outputs). */
export function checkJsonSchema(schema: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const report: Report = (path, message) => ctx.addIssue({ code: 'custom', path: [...path], message });
  if (schema.type !== 'object') report(['type'], 'a structured output schema must have type "object"');
  checkNode(schema, [], 0, report);
}

/** The property names a structured output schema declares at its top level. */
export function schemaProperties(schema: Readonly<Record<string, unknown>> | undefined): ReadonlySet<string> | undefined {
  const properties = schema?.properties;
  return isRecord(properties) ? new Set(Object.keys(properties)) : undefined;
}

/** The `enum` of one top-level property, when it has one made of strings. */
export function propertyEnum(schema: Readonly<Record<string, unknown>> | undefined, property: string): readonly string[] | undefined {
  const properties = schema?.properties;
  if (!isRecord(properties) || !Object.hasOwn(properties, property)) return undefined;
  const node = properties[property];
  if (!isRecord(node) || !Array.isArray(node.enum)) return undefined;
  return node.enum.every((v) => typeof v === 'string') ? (node.enum as string[]) : undefined;
}
