import { env, loadConfig } from '@cadre/config';
import { z } from 'zod';

const MIB = 1024 * 1024;

/** Sizes as bytes or with a unit: `1048576`, `512kb`, `1mb`. */
const byteSize = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `expected a size such as 1048576, 512kb or 1mb, got "${value}"` });
        return z.NEVER;
      }
      const unit = (match[2] ?? 'b').toLowerCase();
      const factor = unit === 'gb' ? 1024 * MIB : unit === 'mb' ? MIB : unit === 'kb' ? 1024 : 1;
      return Number(match[1]) * factor;
    });

/** `*`, or a comma list of origins; empty: no CORS headers at all. */
const originList = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin.length > 0));

/** Environment variables of the gateway. */
export const gatewayConfigShape = {
  PORT: env.port(8000).describe('HTTP port of the API'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Address the API listens on'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional()
    .describe('The URL clients reach the gateway at (e.g. https://cadre.example.com), named as the server of the API documents; without it they name a relative server'),
  AUTH_ENABLED: env.boolean(true).describe('When false every credential-less call acts as an admin (development only)'),
  BODY_LIMIT: byteSize(MIB).describe('Largest request body'),
  UPLOAD_LIMIT: byteSize(25 * MIB).describe('Largest file an upload route (attachments, transcription) streams into the blob store'),
  CORS_ORIGINS: originList.describe('Origins allowed to call the API from a browser (comma list)'),
  BUS_TIMEOUT_MS: env.int(10_000, 100).describe('Longest wait for a service reply before a 503'),
  AUTH_CACHE_TTL_MS: env.int(5_000, 0).describe('How long a resolved credential is reused (revocations evict at once)'),
  AUTH_CACHE_MAX: env.int(10_000, 1),
  SSE_HEARTBEAT_MS: env.int(15_000, 10),
  SSE_CLIENT_BUFFER: byteSize(MIB).describe('Bytes held for a client that does not read before it is dropped'),
  SSE_MAX_CLIENTS: env.int(10_000, 1),
  SSE_MAX_CLIENTS_PER_USER: env.int(32, 1).describe('Event streams one member (or API key of no user) may hold open on one gateway instance; more answer 429'),
  SSE_ADMIN_RESERVE: env.int(100, 0).describe('Of SSE_MAX_CLIENTS, how many streams only admins may open'),
  SSE_FLUSH_MS: env.int(20, 0).describe('Live events are written at most this often per client; under load they are coalesced (sooner when they would pass SSE_CLIENT_BUFFER)'),
  SSE_STALL_TIMEOUT_MS: env.int(30_000, 100).describe('A replaying client that takes no bytes for this long is dropped'),
  TRUST_PROXY: env.boolean(false).describe('Take the client address from X-Forwarded-For'),
  DASHBOARD_ENABLED: env.boolean(true).describe('Serve the web dashboard at /'),
  DASHBOARD_DIR: z.string().min(1).optional().describe('Folder of the built dashboard (default: the @cadre/dashboard package\'s dist/)'),
};

export type GatewayConfig = Readonly<z.infer<z.ZodObject<typeof gatewayConfigShape>>>;

/** Parses the gateway's variables once, frozen; a bad one throws a ConfigError naming it. */
export function loadGatewayConfig(environment: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  return loadConfig(gatewayConfigShape, environment);
}
