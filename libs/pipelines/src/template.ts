/**
 * The template language of step inputs: `{{ variable }}` and nothing else. No expressions,
 * filters or conditionals, so a template (or a value put into one) can never run code; values
 * are inserted once and never re-scanned, so a step output containing `{{…}}` stays text.
 * `\{{` writes a literal `{{`.
 */

import { assertNever } from './assert-never';

/** Run-level variables every template may use. */
export const RUN_VARIABLES = ['task_description', 'human_context', 'project_name', 'feedback'] as const;
export type RunVariable = (typeof RUN_VARIABLES)[number];

/** What a `{{…}}` tag refers to. */
export type VariableRef =
  | { readonly kind: 'run'; readonly name: RunVariable }
  | { readonly kind: 'step_output'; readonly step: string; readonly output: string; readonly path: readonly string[] }
  | { readonly kind: 'loop_item'; readonly path: readonly string[] }
  | { readonly kind: 'loop_position'; readonly name: 'index' | 'number' | 'count' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** A piece of a scanned template. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'tag'; readonly expression: string; readonly ref: VariableRef };

/** Outputs of a run's steps so far: step id → output name → value. */
export type RunOutputs = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Values a template is rendered with. */
export interface TemplateContext {
  readonly task_description?: string;
  readonly human_context?: string;
  readonly project_name?: string;
  readonly feedback?: string;
  readonly outputs?: RunOutputs;
  /** The current loop item; `index` counts from 0, `{{loop.number}}` from 1. */
  readonly loop?: { readonly item: unknown; readonly index: number; readonly count?: number };
}

/** A rendered template and the variables that had no value. */
export interface RenderResult {
  readonly text: string;
  readonly warnings: readonly string[];
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// Names that reach into JavaScript's object machinery; refused even as own keys.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_EXPRESSION = 300;

function isRunVariable(name: string): name is RunVariable {
  return (RUN_VARIABLES as readonly string[]).includes(name);
}

/** Parses the text between `{{` and `}}`. */
export function parseVariable(expression: string): VariableRef {
  if (expression.length > MAX_EXPRESSION) return { kind: 'unknown', reason: 'expression too long' };
  const segments = expression.split('.');
  if (!segments.every((s) => SEGMENT.test(s))) {
    return { kind: 'unknown', reason: 'not a variable (templates allow only {{name}} or {{a.b.c}}; write \\{{ for literal braces)' };
  }
  const forbidden = segments.find((s) => FORBIDDEN.has(s));
  if (forbidden !== undefined) return { kind: 'unknown', reason: `"${forbidden}" is not allowed in a variable` };
  const [head, second, third, fourth, ...rest] = segments;
  if (segments.length === 1 && head !== undefined && isRunVariable(head)) return { kind: 'run', name: head };
  if (head === 'steps' && second !== undefined && third === 'outputs' && fourth !== undefined) {
    return { kind: 'step_output', step: second, output: fourth, path: rest };
  }
  if (head === 'loop' && second === 'item') return { kind: 'loop_item', path: segments.slice(2) };
  if (head === 'loop' && segments.length === 2 && (second === 'index' || second === 'number' || second === 'count')) {
    return { kind: 'loop_position', name: second };
  }
  return { kind: 'unknown', reason: 'unknown variable' };
}

/** Parses a reference written with or without braces (`loop.over`): `{{a.b}}` or `a.b`. */
export function parseReference(text: string): VariableRef {
  const trimmed = text.trim();
  const inner = trimmed.startsWith('{{') && trimmed.endsWith('}}') ? trimmed.slice(2, -2) : trimmed;
  return parseVariable(inner.trim());
}

/** Splits a template into text and tags in one linear pass (no backtracking regex). */
export function scanTemplate(template: string): readonly TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let pos = 0;
  for (;;) {
    let open = template.indexOf('{{', pos);
    if (open === -1) break;
    const close = template.indexOf('}}', open + 2);
    if (close === -1) break;
    // With nested braces (`{{{x}}}`) the tag is the innermost `{{` before the first `}}`.
    for (let next = template.indexOf('{{', open + 1); next !== -1 && next + 2 <= close; next = template.indexOf('{{', next + 1)) {
      open = next;
    }
    if (open > 0 && template[open - 1] === '\\') {
      text += `${template.slice(pos, open - 1)}{{`;
      pos = open + 2;
      continue;
    }
    text += template.slice(pos, open);
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    const expression = template.slice(open + 2, close).trim();
    parts.push({ kind: 'tag', expression, ref: parseVariable(expression) });
    pos = close + 2;
  }
  text += template.slice(pos);
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
}

/** The tags of a template, for validation. */
export function templateTags(template: string): ReadonlyArray<{ readonly expression: string; readonly ref: VariableRef }> {
  return scanTemplate(template).flatMap((part) => (part.kind === 'tag' ? [part] : []));
}

function isContainer(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

/** Follows own properties only, so nothing inherited (prototype, methods) is ever reachable. */
export function walkPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (FORBIDDEN.has(key) || !isContainer(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** Looks a variable up in a context; `undefined` when it has no value. */
export function resolveVariable(ref: VariableRef, context: TemplateContext): unknown {
  switch (ref.kind) {
    case 'run':
      return context[ref.name];
    case 'step_output': {
      const outputs = context.outputs;
      if (outputs === undefined || !Object.hasOwn(outputs, ref.step)) return undefined;
      return walkPath(outputs[ref.step], [ref.output, ...ref.path]);
    }
    case 'loop_item':
      return context.loop === undefined ? undefined : walkPath(context.loop.item, ref.path);
    case 'loop_position': {
      const loop = context.loop;
      if (loop === undefined) return undefined;
      if (ref.name === 'index') return loop.index;
      return ref.name === 'number' ? loop.index + 1 : loop.count;
    }
    case 'unknown':
      return undefined;
    default:
      return assertNever(ref);
  }
}

/** How a value reads inside a prompt: strings as they are, structures as indented JSON. */
export function valueToText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return undefined;
      try {
        return JSON.stringify(value, null, 2);
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

/** Renders a template; a variable without a value becomes '' and adds a warning. */
export function renderTemplate(template: string, context: TemplateContext): RenderResult {
  const warnings: string[] = [];
  let text = '';
  for (const part of scanTemplate(template)) {
    if (part.kind === 'text') {
      text += part.text;
      continue;
    }
    const value = part.ref.kind === 'unknown' ? undefined : valueToText(resolveVariable(part.ref, context));
    if (value === undefined) {
      const why = part.ref.kind === 'unknown' ? part.ref.reason : 'no value';
      warnings.push(`{{${part.expression.slice(0, 80)}}}: ${why}`);
    } else {
      text += value;
    }
  }
  return { text, warnings };
}
