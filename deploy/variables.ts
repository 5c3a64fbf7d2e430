import { z } from 'zod';
import { sharedConfigShape } from '@cadre/config';
import { gatewayConfigShape } from '@cadre/gateway';
import type { ServiceRegistry } from '@cadre/kit';

/**
 * The reference of environment variables in docs/deploy.md: the shared ones and each registry
 * service's, read from their zod shapes (the default is what parsing an unset variable gives;
 * the text is the `.describe()` of the variable).
 */
type Shape = Readonly<Record<string, z.core.$ZodType>>;

/** A description as one table cell: no line breaks, and `|`, `*` and `_` shown as they are. */
const cell = (text: string): string => text.replace(/[|*_]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');

function defaultOf(schema: z.core.$ZodType): string {
  const parsed = z.safeParse(schema, undefined);
  if (!parsed.success) return '**required**';
  const value: unknown = parsed.data;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '—';
  return `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\``;
}

function table(shape: Shape): string[] {
  return [
    '| variable | default | what |',
    '|---|---|---|',
    ...Object.entries(shape).map(([name, schema]) => `| \`${name}\` | ${defaultOf(schema)} | ${cell(z.globalRegistry.get(schema)?.description ?? '')} |`),
  ];
}

/** The Markdown between the reference's markers. */
export function variablesReference(registry: ServiceRegistry): string {
  const sections = [
    ['Every service (`@cadre/config`):', '', ...table(sharedConfigShape)],
    ['`gateway` — the HTTP API, the event stream and the API documents:', '', ...table(gatewayConfigShape)],
    ...registry.map((service) => [`\`${service.name}\` — ${service.description}:`, '', ...table(service.config.shape)]),
  ];
  return sections.map((lines) => lines.join('\n')).join('\n\n');
}
