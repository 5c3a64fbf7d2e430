import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { RequestHandler } from '@cadre/bus';
import { CadreError, ConflictError, IDEMPOTENCY_KEY_HEADER, PRINCIPAL_HEADER } from '@cadre/proto';

/** How long a first answer is kept for the same key. */
const KEPT_MS = 24 * 3600 * 1000;

/**
 * Commands with an `Idempotency-Key` (passed by the gateway in IDEMPOTENCY_KEY_HEADER): the
 * same key and request from the same caller within a day get the first answer again, and the
 * command runs once, whichever replica each attempt reaches. The table lives in the service's
 * own schema. A key is claimed before the command runs; an attempt that finds it claimed and
 * unanswered gets a 409 to retry, unless the claim is older than `leaseMs` (its replica died
 * before answering), when it runs again. A command that fails frees its key.
 */
export interface Idempotency {
  wrap(subject: string, handler: RequestHandler): RequestHandler;
}

export async function createIdempotency(pool: Pool, schema: string, options: { readonly leaseMs: number; readonly clock: () => Date }): Promise<Idempotency> {
  const table = `"${schema}".idempotency`;
  const client = await pool.connect();
  try {
    await client.query('begin');
    // Serialised: replicas starting together must not race on `create table if not exists`.
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`${schema}.idempotency`]);
    await client.query(`create table if not exists ${table} (
      scope text primary key, request_hash text not null, reply jsonb, claimed_at timestamptz not null, answered_at timestamptz
    )`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }

  const claim = async (scope: string, requestHash: string): Promise<{ readonly replay: unknown } | undefined> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = options.clock();
      const inserted = await pool.query(`insert into ${table} (scope, request_hash, claimed_at) values ($1, $2, $3) on conflict (scope) do nothing`, [scope, requestHash, now]);
      if (inserted.rowCount === 1) return undefined;
      const found = await pool.query<{ request_hash: string; reply: unknown; claimed_at: Date; answered_at: Date | null }>(
        `select request_hash, reply, claimed_at, answered_at from ${table} where scope = $1`, [scope]);
      const row = found.rows[0];
      if (row === undefined) continue; // freed meanwhile: claim again
      if (now.getTime() - row.claimed_at.getTime() > KEPT_MS) {
        await pool.query(`delete from ${table} where scope = $1 and claimed_at = $2`, [scope, row.claimed_at]);
        continue;
      }
      if (row.request_hash !== requestHash) {
        throw new CadreError('unprocessable', 'this Idempotency-Key was used with a different request', { reason: 'idempotency_key_reused' });
      }
      if (row.answered_at !== null) return { replay: row.reply };
      if (now.getTime() - row.claimed_at.getTime() <= options.leaseMs) {
        throw new ConflictError('a request with this Idempotency-Key is still being answered; retry in a moment', {
          reason: 'idempotency_key_in_progress', retry_after_seconds: 1,
        });
      }
      // Claimed by an attempt that never answered: take it over (one taker wins).
      const taken = await pool.query(`update ${table} set claimed_at = $3 where scope = $1 and claimed_at = $2 and answered_at is null`, [scope, row.claimed_at, now]);
      if (taken.rowCount === 1) return undefined;
    }
    throw new ConflictError('a request with this Idempotency-Key is still being answered; retry in a moment', { retry_after_seconds: 1 });
  };

  return {
    wrap(subject, handler) {
      return async (payload, context) => {
        const key = context.headers[IDEMPOTENCY_KEY_HEADER];
        if (key === undefined || key === '') return handler(payload, context);
        // Per caller and command: one user's key never answers another's request.
        const caller = principalId(context.headers[PRINCIPAL_HEADER]);
        const scope = sha256(`${caller}\n${subject}\n${key}`);
        const requestHash = sha256(JSON.stringify(payload ?? null));
        const claimed = await claim(scope, requestHash);
        if (claimed !== undefined) return claimed.replay;
        let reply: unknown;
        try {
          reply = await handler(payload, context);
        } catch (error) {
          await pool.query(`delete from ${table} where scope = $1 and answered_at is null`, [scope]).catch(() => undefined);
          throw error;
        }
        await pool.query(`update ${table} set reply = $2, answered_at = $3 where scope = $1`, [scope, JSON.stringify(reply ?? null), options.clock()]);
        return reply;
      };
    },
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function principalId(header: string | undefined): string {
  if (header === undefined) return 'anonymous';
  try {
    const principal = JSON.parse(header) as { user_id?: string; credential_id?: string };
    return principal.user_id ?? `credential:${principal.credential_id ?? '?'}`;
  } catch {
    return 'anonymous';
  }
}
