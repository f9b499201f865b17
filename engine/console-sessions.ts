/**
 * Console sessions: the browser holds a random secret in an HttpOnly cookie; the store keeps only
 * its SHA-256, the user, a CSRF token and the times that end it (docs/console.md, "Sessions").
 * A session ends at the first of: sign-out, 12 hours after sign-in, 2 hours without a request.
 */
import crypto from 'node:crypto';

export interface ConsoleSession {
  idHash: string;
  userId: number;
  /** The login token made at sign-in (engine/identity-service.ts login), the credential audits name. */
  tokenId: number | null;
  userName: string;
  platformAdmin: boolean;
  userDisabled: boolean;
  /**
   * The login token behind the session was revoked (`tokens:revoke`, a password change or reset):
   * the session ends with it.
   */
  tokenRevoked: boolean;
  csrfToken: string;
  address: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** The port to the store (engine/store/console-sessions-repo.ts; a Map in the unit tests). */
export interface ConsoleSessionStore {
  insert(session: StoredSession): Promise<void>;
  /** The session with its user as the store has it now, or null. */
  find(idHash: string): Promise<ConsoleSession | null>;
  touch(idHash: string, at: Date): Promise<void>;
  remove(idHash: string): Promise<void>;
  removeExpired(now: Date, idleSince: Date): Promise<number>;
}

/** What is written at sign-in; the user's fields are read fresh with every find. */
export type StoredSession = Omit<ConsoleSession, 'userName' | 'platformAdmin' | 'userDisabled' | 'tokenRevoked'>;

export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** last_seen_at is written at most once a minute per session: a page's requests cost no writes. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface StartedSession {
  /** Goes into the cookie, never into the store or a log. */
  secret: string;
  csrfToken: string;
  expiresAt: Date;
}

export function hashSessionSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** A secret is 32 random bytes in base64url; anything else is refused before the store is asked. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class ConsoleSessions {
  constructor(
    private readonly store: ConsoleSessionStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(userId: number, address: string, tokenId: number | null = null): Promise<StartedSession> {
    const secret = crypto.randomBytes(32).toString('base64url');
    const csrfToken = crypto.randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
    await this.store.insert({ idHash: hashSessionSecret(secret), userId, tokenId, csrfToken, address: address.slice(0, 64), createdAt: now, lastSeenAt: now, expiresAt });
    // Sign-ins are rare: a good moment to forget the sessions that ended by themselves.
    await this.store.removeExpired(now, new Date(now.getTime() - SESSION_IDLE_MS));
    return { secret, csrfToken, expiresAt };
  }

  /** The live session for a cookie's secret, or null (unknown, expired, idle too long, or its user disabled: then removed). */
  async resolve(secret: string): Promise<ConsoleSession | null> {
    if (!SECRET_SHAPE.test(secret)) return null;
    const idHash = hashSessionSecret(secret);
    const session = await this.store.find(idHash);
    if (!session) return null;
    const now = this.now();
    if (session.userDisabled || session.tokenRevoked || now >= session.expiresAt || now.getTime() - session.lastSeenAt.getTime() >= SESSION_IDLE_MS) {
      await this.store.remove(idHash);
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.store.touch(idHash, now);
      return { ...session, lastSeenAt: now };
    }
    return session;
  }

  async end(secret: string): Promise<void> {
    if (SECRET_SHAPE.test(secret)) await this.store.remove(hashSessionSecret(secret));
  }
}
