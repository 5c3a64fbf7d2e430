import { randomBytes } from 'node:crypto';
import type { IdentityDb } from './tables';

/** Hashes of refresh tokens and API keys, single-use pending tokens, and the signing secret. */
export interface TokenStore {
  saveRefreshToken(eventId: string, sessionId: string, tokenHash: string): Promise<void>;
  /** The session and issuing event of a refresh token, by its hash. */
  refreshToken(tokenHash: string): Promise<{ readonly eventId: string; readonly sessionId: string } | undefined>;
  /** Keeps a rotation's sealed new token for a parallel refresh of the token it replaced. */
  saveGrace(presentedHash: string, eventId: string, sealed: string, expiresAt: Date): Promise<void>;
  /** The sealed token of the rotation `eventId` of the presented token, while its grace lasts. */
  grace(presentedHash: string, eventId: string, now: Date): Promise<string | undefined>;
  saveApiKeyHash(keyId: string, userId: string, keyHash: string): Promise<void>;
  apiKeyId(keyHash: string): Promise<string | undefined>;
  forgetApiKey(keyId: string): Promise<void>;
  touchApiKey(keyId: string, at: Date): Promise<void>;
  lastUsed(keyIds: readonly string[]): Promise<ReadonlyMap<string, Date>>;
  /** True the first time a pending-2FA token is spent, false after. */
  spendPendingToken(jti: string, expiresAt: Date): Promise<boolean>;
  /** Drops bookkeeping of pending tokens that have expired anyway. */
  pruneExpired(now: Date): Promise<void>;
  /** The JWT signing secret: generated once and shared by every replica and restart. */
  signingSecret(): Promise<Uint8Array>;
  /** The key TOTP secrets are sealed with when CADRE_SECRET_KEY is not set: generated once, shared by every replica. */
  sealingKey(): Promise<Uint8Array>;
}

const SIGNING_SECRET = 'jwt_signing_secret';

export function createTokenStore(db: IdentityDb): TokenStore {
  // Whichever replica inserts first wins; the others read the winner's value.
  const generatedOnce = async (name: string, bytes: number): Promise<Uint8Array> => {
    await db.insertInto('settings').values({ name, value: randomBytes(bytes).toString('base64') })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return Buffer.from(row.value, 'base64');
  };
  return {
    async saveRefreshToken(eventId, sessionId, tokenHash) {
      await db.insertInto('refresh_tokens').values({ event_id: eventId, session_id: sessionId, token_hash: tokenHash }).execute();
    },
    async refreshToken(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').select(['event_id', 'session_id']).where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && { eventId: row.event_id, sessionId: row.session_id };
    },
    async saveGrace(presentedHash, eventId, sealed, expiresAt) {
      await db.insertInto('refresh_grace').values({ presented_hash: presentedHash, event_id: eventId, sealed, expires_at: expiresAt }).execute();
    },
    async grace(presentedHash, eventId, now) {
      const row = await db.selectFrom('refresh_grace').select('sealed').where('presented_hash', '=', presentedHash)
        .where('event_id', '=', eventId).where('expires_at', '>', now).executeTakeFirst();
      return row?.sealed;
    },
    async saveApiKeyHash(keyId, userId, keyHash) {
      await db.insertInto('api_key_hashes').values({ key_id: keyId, user_id: userId, key_hash: keyHash }).execute();
    },
    async apiKeyId(keyHash) {
      const row = await db.selectFrom('api_key_hashes').select('key_id').where('key_hash', '=', keyHash).executeTakeFirst();
      return row?.key_id;
    },
    async forgetApiKey(keyId) {
      await db.deleteFrom('api_key_hashes').where('key_id', '=', keyId).execute();
    },
    async touchApiKey(keyId, at) {
      await db.insertInto('api_key_usage').values({ key_id: keyId, last_used_at: at })
        .onConflict((oc) => oc.column('key_id').doUpdateSet({ last_used_at: at })).execute();
    },
    async lastUsed(keyIds) {
      if (keyIds.length === 0) return new Map();
      const rows = await db.selectFrom('api_key_usage').selectAll().where('key_id', 'in', [...keyIds]).execute();
      return new Map(rows.map((r) => [r.key_id, r.last_used_at]));
    },
    async spendPendingToken(jti, expiresAt) {
      const row = await db.insertInto('used_pending_tokens').values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing()).returning('jti').executeTakeFirst();
      return row !== undefined;
    },
    async pruneExpired(now) {
      await db.deleteFrom('used_pending_tokens').where('expires_at', '<', now).execute();
      await db.deleteFrom('refresh_grace').where('expires_at', '<', now).execute();
    },
    signingSecret: () => generatedOnce(SIGNING_SECRET, 64),
    sealingKey: () => generatedOnce('secret_sealing_key', 32),
  };
}
