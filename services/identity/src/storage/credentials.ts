import type { SecretBox } from '@cadre/runtime';
import type { IdentityDb } from './tables';

/** Secrets behind passwords and 2FA, keyed by the event that introduced each one. */
export interface CredentialStore {
  savePasswordHash(eventId: string, userId: string, hash: string): Promise<void>;
  passwordHash(eventId: string): Promise<string | undefined>;
  savePendingTotp(userId: string, secret: string, now: Date): Promise<void>;
  pendingTotp(userId: string): Promise<string | undefined>;
  /** Moves the pending secret to its two_factor_enabled event, with the recovery code hashes. */
  saveTotp(eventId: string, userId: string, secret: string, recoveryCodeHashes: readonly string[]): Promise<void>;
  dropPendingTotp(userId: string): Promise<void>;
  totpSecret(eventId: string): Promise<string | undefined>;
  /** Records `step` as the user's last used TOTP step; false when it is not newer (a replayed code). */
  claimTotpStep(userId: string, step: number): Promise<boolean>;
  /** Spends an unused recovery code of the 2FA generation `eventId`; false when there is none. */
  spendRecoveryCode(eventId: string, codeHash: string, now: Date): Promise<boolean>;
  /** Removes the secret rows of an event that was never appended (best effort). */
  forgetEvent(eventId: string): Promise<void>;
}

/**
 * TOTP secrets are sealed (AES-256-GCM) at rest. Rows of releases before that hold the base32
 * secret itself (never a `:`), and are read as they are.
 */
export function createCredentialStore(db: IdentityDb, box: SecretBox): CredentialStore {
  const open = (stored: string | undefined): string | undefined => (stored === undefined || !stored.includes(':') ? stored : box.open(stored));
  return {
    async savePasswordHash(eventId, userId, hash) {
      await db.insertInto('password_hashes').values({ event_id: eventId, user_id: userId, hash }).execute();
    },
    async passwordHash(eventId) {
      const row = await db.selectFrom('password_hashes').select('hash').where('event_id', '=', eventId).executeTakeFirst();
      return row?.hash;
    },
    async savePendingTotp(userId, secret, now) {
      const sealed = box.seal(secret);
      await db.insertInto('totp_pending').values({ user_id: userId, secret: sealed, created_at: now })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret: sealed, created_at: now })).execute();
    },
    async pendingTotp(userId) {
      const row = await db.selectFrom('totp_pending').select('secret').where('user_id', '=', userId).executeTakeFirst();
      return open(row?.secret);
    },
    async saveTotp(eventId, userId, secret, recoveryCodeHashes) {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('totp_secrets').values({ event_id: eventId, user_id: userId, secret: box.seal(secret) }).execute();
        if (recoveryCodeHashes.length > 0) {
          await tx.insertInto('recovery_codes').values(recoveryCodeHashes.map((code_hash) => ({ event_id: eventId, code_hash }))).execute();
        }
      });
    },
    async dropPendingTotp(userId) {
      await db.deleteFrom('totp_pending').where('user_id', '=', userId).execute();
    },
    async totpSecret(eventId) {
      const row = await db.selectFrom('totp_secrets').select('secret').where('event_id', '=', eventId).executeTakeFirst();
      return open(row?.secret);
    },
    async claimTotpStep(userId, step) {
      // One statement, so two replicas checking the same code cannot both accept it.
      const row = await db.insertInto('totp_last_step').values({ user_id: userId, step })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ step }).where('totp_last_step.step', '<', String(step)))
        .returning('user_id').executeTakeFirst();
      return row !== undefined;
    },
    async spendRecoveryCode(eventId, codeHash, now) {
      const result = await db.updateTable('recovery_codes').set({ used_at: now })
        .where('event_id', '=', eventId).where('code_hash', '=', codeHash).where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async forgetEvent(eventId) {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('password_hashes').where('event_id', '=', eventId).execute();
        await tx.deleteFrom('totp_secrets').where('event_id', '=', eventId).execute();
        await tx.deleteFrom('recovery_codes').where('event_id', '=', eventId).execute();
        await tx.deleteFrom('refresh_tokens').where('event_id', '=', eventId).execute();
        await tx.deleteFrom('refresh_grace').where('event_id', '=', eventId).execute();
      });
    },
  };
}
