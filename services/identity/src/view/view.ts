import type { EventEnvelope, UserRole } from '@cadre/proto';
import { streams, toIdentityEvent, type IdentityEvent } from '../events';

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: UserRole;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deleted: boolean;
  /** The event whose id keys the current password hash. */
  readonly passwordEventId: string;
}

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly revoked: boolean;
  /** When the refresh token chain ends (epoch ms); no access token outlives it. */
  readonly expiresAt: number;
  /** When its user proved who they are (the sign-in; refreshes keep it), epoch ms. */
  readonly authenticatedAt: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revoked: boolean;
}

/** What the view needs of an event: the envelope without meta. */
export type ViewEvent = Pick<EventEnvelope, 'id' | 'type' | 'stream' | 'version' | 'occurredAt' | 'data'>;

/** `gap`: an earlier version of the stream is missing here; reload the stream before trusting it. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'gap' | 'ignored';

/**
 * The in-memory read model of one replica: users, sessions, API keys and 2FA, folded from
 * identity's own events. Each stream's version is tracked, so an event seen twice (rebuild,
 * local apply after an append, the bus) counts once and a missing one is noticed.
 */
export class IdentityView {
  private readonly versions = new Map<string, number>();
  private readonly usersById = new Map<string, UserRecord>();
  private readonly userIdsByEmail = new Map<string, string>();
  private readonly twoFactor = new Map<string, string>();
  private readonly sessionsById = new Map<string, SessionRecord>();
  private readonly keysById = new Map<string, ApiKeyRecord>();
  private setupDone = false;

  apply(envelope: ViewEvent): ApplyOutcome {
    const event = toIdentityEvent(envelope);
    if (!event) return 'ignored';
    const known = this.versions.get(envelope.stream) ?? 0;
    if (envelope.version <= known) return 'duplicate';
    if (envelope.version > known + 1) return 'gap';
    this.versions.set(envelope.stream, envelope.version);
    this.fold(event);
    return 'applied';
  }

  /** The last version of `stream` folded here (0 when none). */
  versionOf(stream: string): number {
    return this.versions.get(stream) ?? 0;
  }

  user(id: string): UserRecord | undefined {
    const user = this.usersById.get(id);
    return user && !user.deleted ? user : undefined;
  }

  /** True when the user was seen here and deleted since (no need to ask the store again). */
  isDeleted(id: string): boolean {
    return this.usersById.get(id)?.deleted === true;
  }

  userByEmail(email: string): UserRecord | undefined {
    const id = this.userIdsByEmail.get(email);
    return id === undefined ? undefined : this.user(id);
  }

  users(): UserRecord[] {
    return [...this.usersById.values()].filter((u) => !u.deleted)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Id of the two_factor_enabled event of the user's current 2FA, when it is on. */
  twoFactorOf(userId: string): string | undefined {
    return this.twoFactor.get(userId);
  }

  session(id: string): SessionRecord | undefined {
    return this.sessionsById.get(id);
  }

  activeSessionsOf(userId: string): SessionRecord[] {
    return [...this.sessionsById.values()].filter((s) => s.userId === userId && !s.revoked);
  }

  apiKey(id: string): ApiKeyRecord | undefined {
    return this.keysById.get(id);
  }

  apiKeysOf(userId: string): ApiKeyRecord[] {
    return [...this.keysById.values()].filter((k) => k.userId === userId && !k.revoked)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  setupCompleted(): boolean {
    return this.setupDone || this.usersById.size > 0;
  }

  /**
   * Forgets sessions whose refresh chain ended before `now`. Safe: no access token outlives its
   * chain, and a session seen again later (a late duplicate) is expired all the same.
   */
  sweep(now: Date): number {
    let removed = 0;
    for (const [id, session] of this.sessionsById) {
      if (session.expiresAt < now.getTime()) {
        this.sessionsById.delete(id);
        this.versions.delete(streams.session(id));
        removed++;
      }
    }
    return removed;
  }

  private fold(event: IdentityEvent): void {
    switch (event.type) {
      case 'user_created': {
        const { user_id, email, name, role } = event.data;
        this.usersById.set(user_id, {
          id: user_id, email, name, role, createdAt: event.occurredAt, updatedAt: event.occurredAt, deleted: false, passwordEventId: event.id,
        });
        this.userIdsByEmail.set(email, user_id);
        return;
      }
      case 'user_updated': {
        const user = this.usersById.get(event.data.user_id);
        if (!user) return;
        const { email, name, role, password_changed } = event.data;
        if (email !== undefined && email !== user.email) {
          if (this.userIdsByEmail.get(user.email) === user.id) this.userIdsByEmail.delete(user.email);
          this.userIdsByEmail.set(email, user.id);
        }
        this.usersById.set(user.id, {
          ...user,
          email: email ?? user.email,
          name: name === undefined ? user.name : name,
          role: role ?? user.role,
          updatedAt: event.occurredAt,
          passwordEventId: password_changed ? event.id : user.passwordEventId,
        });
        return;
      }
      case 'user_deleted': {
        const user = this.usersById.get(event.data.user_id);
        if (!user) return;
        if (this.userIdsByEmail.get(user.email) === user.id) this.userIdsByEmail.delete(user.email);
        this.usersById.set(user.id, { ...user, deleted: true, updatedAt: event.occurredAt });
        return;
      }
      case 'setup_completed':
        this.setupDone = true;
        return;
      case 'session_started':
      case 'session_refreshed': {
        const current = this.sessionsById.get(event.data.session_id);
        if (current?.revoked) return;
        this.sessionsById.set(event.data.session_id, {
          id: event.data.session_id, userId: event.data.user_id, revoked: false, expiresAt: Date.parse(event.data.expires_at),
          authenticatedAt: current?.authenticatedAt ?? Date.parse(event.occurredAt),
        });
        return;
      }
      case 'session_revoked': {
        const current = this.sessionsById.get(event.data.session_id);
        // Without its start (swept or not seen), a revoked session needs no record: unknown is rejected too.
        if (current) this.sessionsById.set(current.id, { ...current, revoked: true });
        return;
      }
      case 'api_key_created': {
        const { key_id, user_id, name, prefix, expires_at } = event.data;
        this.keysById.set(key_id, { id: key_id, userId: user_id, name, prefix, createdAt: event.occurredAt, expiresAt: expires_at, revoked: false });
        return;
      }
      case 'api_key_revoked': {
        const key = this.keysById.get(event.data.key_id);
        if (key) this.keysById.set(key.id, { ...key, revoked: true });
        return;
      }
      case 'two_factor_enabled':
        this.twoFactor.set(event.data.user_id, event.id);
        return;
      case 'two_factor_disabled':
        this.twoFactor.delete(event.data.user_id);
        return;
    }
  }
}
