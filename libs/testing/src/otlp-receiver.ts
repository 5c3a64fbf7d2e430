import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { z } from 'zod';

/*
 * The far end of an OTLP/HTTP trace exporter, scripted: it accepts `POST /v1/traces` in the
 * OTLP/JSON encoding (what `@opentelemetry/exporter-trace-otlp-http` sends, `application/json`,
 * gzip when OTEL_EXPORTER_OTLP_COMPRESSION says so), answers as a collector does, and keeps the
 * spans. Any other request is answered with an error and kept in `requests()`, so a test can
 * say what reached it.
 */

/** Span kinds by their OTLP number (0 is unspecified; the API's kinds are shifted by one). */
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type OtlpSpanKind = (typeof KINDS)[number];

export type OtlpValue = string | number | boolean | null | readonly OtlpValue[] | { readonly [key: string]: OtlpValue };

/** One span as the receiver got it, with the resource it came from. */
export interface OtlpSpan {
  /** The resource's `service.name`. */
  readonly service: string;
  readonly resource: Readonly<Record<string, OtlpValue>>;
  /** The instrumentation scope's name (`@opentelemetry/instrumentation-pg`, …). */
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Absent on a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: OtlpSpanKind;
  readonly attributes: Readonly<Record<string, OtlpValue>>;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
}

/** One request the receiver answered. */
export interface OtlpRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  /** `identity` or `gzip`. */
  readonly contentEncoding: string;
  readonly status: number;
  /** Spans it carried (0 for a rejected request). */
  readonly spans: number;
  /** Why it was rejected. */
  readonly problem?: string;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value of OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  spans(): readonly OtlpSpan[];
  requests(): readonly OtlpRequest[];
  /** What arrived so far, for a failure message: requests, then spans by service. */
  summary(): string;
  close(): Promise<void>;
}

// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids are hex
// strings, enums integers, 64-bit integers numbers or decimal strings; unknown fields are ignored.
const hexId = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes in lower-case hex`);
const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
const anyValue: z.ZodType<OtlpWireValue> = z.lazy(() => z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: int64.optional(),
  doubleValue: z.number().optional(),
  bytesValue: z.string().optional(),
  arrayValue: z.object({ values: z.array(anyValue).optional() }).optional(),
  kvlistValue: z.object({ values: z.array(keyValue).optional() }).optional(),
}));
const keyValue: z.ZodType<OtlpWireKeyValue> = z.lazy(() => z.object({ key: z.string(), value: anyValue.optional() }));
const attributes = z.array(keyValue).optional();
const span = z.object({
  traceId: hexId(16),
  spanId: hexId(8),
  // An empty string is how some encoders spell "no parent".
  parentSpanId: z.union([hexId(8), z.literal('')]).optional(),
  name: z.string(),
  kind: z.number().int().min(0).max(KINDS.length - 1).optional(),
  startTimeUnixNano: int64,
  endTimeUnixNano: int64,
  attributes,
});
const exportTraceServiceRequest = z.object({
  resourceSpans: z.array(z.object({
    resource: z.object({ attributes }).optional(),
    scopeSpans: z.array(z.object({ scope: z.object({ name: z.string().optional() }).optional(), spans: z.array(span).optional() })).optional(),
  })).optional(),
});

interface OtlpWireValue {
  stringValue?: string | undefined;
  boolValue?: boolean | undefined;
  intValue?: number | string | undefined;
  doubleValue?: number | undefined;
  bytesValue?: string | undefined;
  arrayValue?: { values?: OtlpWireValue[] | undefined } | undefined;
  kvlistValue?: { values?: OtlpWireKeyValue[] | undefined } | undefined;
}
interface OtlpWireKeyValue {
  key: string;
  value?: OtlpWireValue | undefined;
}

function toValue(value: OtlpWireValue | undefined): OtlpValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toValue);
  if (value.kvlistValue !== undefined) return toRecord(value.kvlistValue.values);
  return null;
}

function toRecord(list: readonly OtlpWireKeyValue[] | undefined): Record<string, OtlpValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, toValue(kv.value)]));
}

/** The spans of an ExportTraceServiceRequest in OTLP/JSON; throws naming the first bad field. */
export function decodeOtlpJsonTraces(body: unknown): OtlpSpan[] {
  const parsed = exportTraceServiceRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not an OTLP/JSON ExportTraceServiceRequest: ${issue.path.join('.')}: ${issue.message}`);
  }
  return (parsed.data.resourceSpans ?? []).flatMap((rs) => {
    const resource = toRecord(rs.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s): OtlpSpan => ({
      service, resource, scope: ss.scope?.name ?? '',
      traceId: s.traceId, spanId: s.spanId,
      ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
      name: s.name, kind: KINDS[s.kind ?? 0]!,
      attributes: toRecord(s.attributes),
      startTimeUnixNano: String(s.startTimeUnixNano), endTimeUnixNano: String(s.endTimeUnixNano),
    })));
  });
}

const gunzipAsync = promisify(gunzip);

async function readBody(req: IncomingMessage, encoding: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (encoding === 'gzip') return gunzipAsync(raw);
  if (encoding !== 'identity') throw new Error(`unsupported content-encoding ${encoding}`);
  return raw;
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const requests: OtlpRequest[] = [];

  const answer = (res: ServerResponse, status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  // google.rpc.Status, as OTLP/HTTP answers a failed request; 3 is INVALID_ARGUMENT, 12 UNIMPLEMENTED.
  const reject = (res: ServerResponse, seen: Omit<OtlpRequest, 'status' | 'spans'>, status: number, code: number, problem: string): void => {
    requests.push({ ...seen, status, spans: 0, problem });
    answer(res, status, { code, message: problem });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const seen = { method: req.method ?? '', path, contentType, contentEncoding };
    let body: Buffer;
    try {
      body = await readBody(req, contentEncoding);
    } catch (error) {
      return reject(res, seen, 400, 3, (error as Error).message);
    }
    if (req.method !== 'POST' || path !== '/v1/traces') return reject(res, seen, 404, 12, `no OTLP endpoint ${req.method} ${path} here (only POST /v1/traces)`);
    if (contentType !== 'application/json') return reject(res, seen, 415, 3, `content-type ${contentType || 'none'}: this receiver decodes OTLP/JSON only`);
    let got: OtlpSpan[];
    try {
      got = decodeOtlpJsonTraces(JSON.parse(body.toString('utf8')));
    } catch (error) {
      return reject(res, seen, 400, 3, (error as Error).message);
    }
    spans.push(...got);
    requests.push({ ...seen, status: 200, spans: got.length });
    // An ExportTraceServiceResponse without partialSuccess: every span was accepted.
    answer(res, 200, {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, { code: 13, message: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const summary = (): string => {
    const lines = requests.map((r) => `${r.method} ${r.path} (${r.contentType || 'no content-type'}) → ${r.status}${r.problem ? `: ${r.problem}` : `, ${r.spans} spans`}`);
    const byService = new Map<string, OtlpSpan[]>();
    for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
    for (const [service, list] of byService) {
      lines.push(`${service || '(no service.name)'}: ${list.length} spans`);
      for (const s of list) lines.push(`  ${s.traceId} ${s.spanId} ← ${s.parentSpanId ?? 'root'} ${s.kind} ${s.name} [${s.scope}]`);
    }
    return lines.length === 0 ? 'nothing reached the receiver' : lines.join('\n');
  };

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    requests: () => requests,
    summary,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
