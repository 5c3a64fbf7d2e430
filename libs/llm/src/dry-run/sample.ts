type Schema = Readonly<Record<string, unknown>>;

const asSchema = (value: unknown): Schema => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {});

function firstType(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null') ?? 'null';
  if (schema.properties !== undefined) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

/**
 * A deterministic value that fits a JSON Schema: the default or first enum value, `minItems` array
 * items (at least one), every declared property, strings made from `text` and the property's name
 * (its path within an array item, so the items differ). Enough for a dry run to
 * fill a `complete` tool's outputs so that a pipeline can go on.
 */
export function sampleFromSchema(schemaValue: unknown, text: (key: string) => string, key = 'value', depth = 0, inItem = false): unknown {
  const schema = asSchema(schemaValue);
  if (depth > 8) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as unknown;
  for (const combinator of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[combinator];
    if (Array.isArray(options) && options.length > 0) return sampleFromSchema(options[0], text, key, depth + 1, inItem);
  }
  switch (firstType(schema)) {
    case 'object': {
      const properties = asSchema(schema.properties);
      const names = Object.keys(properties);
      // An open object with nothing declared still gets one value, so it is not empty.
      if (names.length === 0) return schema.additionalProperties === false ? {} : { result: text('result') };
      // Within an array item, values are named by their path (`tasks_2.key`), so the items differ.
      return Object.fromEntries(names.map((name) => [name, sampleFromSchema(properties[name], text, inItem ? `${key}.${name}` : name, depth + 1, inItem)]));
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      return Array.from({ length: min }, (_, i) => sampleFromSchema(schema.items, text, `${key}_${i + 1}`, depth + 1, true));
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return text(key);
  }
}
