import type { ColumnType, Generated, Kysely } from 'kysely';

// identity's own tables, next to its event store in the same schema. They hold what must never
// travel in an event (hashes, TOTP secrets) and operational counters that are not domain facts
// (throttling, last use of a key). Rows holding a secret are keyed by the id of the event that
// introduced the secret: a row is written before its event is appended, and a row whose event
// never made it is simply never referenced.

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface PasswordHashesTable {
  readonly event_id: string;
  readonly user_id: string;
  readonly hash: string;
  readonly created_at: CreatedAt;
}

export interface TotpPendingTable {
  readonly user_id: string;
  readonly secret: string;
  readonly created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface TotpSecretsTable {
  readonly event_id: string;
  readonly user_id: string;
  readonly secret: string;
  readonly created_at: CreatedAt;
}

/** The last TOTP time step a user spent: a code works once. */
export interface TotpLastStepTable {
  readonly user_id: string;
  readonly step: ColumnType<string, number | string, number | string>;
}

export interface RecoveryCodesTable {
  /** The two_factor_enabled event the codes belong to. */
  readonly event_id: string;
  readonly code_hash: string;
  readonly used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A rotation's new refresh token, sealed with the token it replaced (see sessions.ts). */
export interface RefreshGraceTable {
  readonly presented_hash: string;
  /** The session_refreshed event that issued the sealed token. */
  readonly event_id: string;
  readonly sealed: string;
  readonly expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface RefreshTokensTable {
  /** The session_started or session_refreshed event that issued the token. */
  readonly event_id: string;
  readonly session_id: string;
  readonly token_hash: string;
  readonly created_at: CreatedAt;
}

export interface ApiKeyHashesTable {
  readonly key_id: string;
  readonly user_id: string;
  readonly key_hash: string;
  readonly created_at: CreatedAt;
}

export interface ApiKeyUsageTable {
  readonly key_id: string;
  readonly last_used_at: ColumnType<Date, Date | string, Date | string>;
}

export interface LoginFailuresTable {
  /** `account:<email>` or `address:<ip>`. */
  readonly key: string;
  readonly failures: number;
  readonly window_started_at: ColumnType<Date, Date | string, Date | string>;
}

/** Pending-2FA tokens already exchanged for a session (each works once). */
export interface UsedPendingTokensTable {
  readonly jti: string;
  readonly expires_at: ColumnType<Date, Date | string, never>;
}

export interface SettingsTable {
  readonly name: string;
  readonly value: string;
  readonly created_at: Generated<Date>;
}

/** identity's own tables, as Kysely sees them under `withSchema(<identity schema>)`. */
export interface IdentityTables {
  readonly password_hashes: PasswordHashesTable;
  readonly totp_pending: TotpPendingTable;
  readonly totp_secrets: TotpSecretsTable;
  readonly totp_last_step: TotpLastStepTable;
  readonly recovery_codes: RecoveryCodesTable;
  readonly refresh_tokens: RefreshTokensTable;
  readonly refresh_grace: RefreshGraceTable;
  readonly api_key_hashes: ApiKeyHashesTable;
  readonly api_key_usage: ApiKeyUsageTable;
  readonly login_failures: LoginFailuresTable;
  readonly used_pending_tokens: UsedPendingTokensTable;
  readonly settings: SettingsTable;
}

export type IdentityDb = Kysely<IdentityTables>;
