import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { Headers } from './types';

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    // Header names are case-insensitive on the wire; propagators ask in lower case.
    const direct = carrier[key];
    if (direct !== undefined) return direct;
    const lower = key.toLowerCase();
    const match = Object.keys(carrier).find((k) => k.toLowerCase() === lower);
    return match === undefined ? undefined : carrier[match];
  },
};

/**
 * Headers with the active trace context added (`traceparent` / `tracestate` with the W3C
 * propagator). Explicit headers win over injected ones. A no-op when no propagator is registered.
 */
export function injectTraceContext(headers?: Headers, from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier, setter);
  return { ...carrier, ...headers };
}

/**
 * The context a message's headers carry. The base is the root context by default: a handler
 * belongs to the sender's trace, not to whatever was active when the subscription was made.
 */
export function extractTraceContext(headers: Headers, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, headers, getter);
}

/** Runs `fn` inside the trace context carried by `headers`, so its spans join the sender's trace. */
export function withTraceContext<T>(headers: Headers, fn: () => T): T {
  return context.with(extractTraceContext(headers), fn);
}
