/** Fakes for the console's server side: an in-memory session store and a clock the test moves. */
import type { ConsoleSession, ConsoleSessionStore, StoredSession } from '../../engine/console-sessions';

export class MemorySessionStore implements ConsoleSessionStore {
  readonly rows = new Map<string, StoredSession>();
  readonly disabled = new Set<number>();
  /** Login tokens revoked (the real store joins api_tokens). */
  readonly revokedTokens = new Set<number>();
  constructor(private readonly userNames: Record<number, string> = { 1: 'admin' }) {}

  async insert(session: StoredSession): Promise<void> {
    this.rows.set(session.idHash, { ...session });
  }

  async find(idHash: string): Promise<ConsoleSession | null> {
    const row = this.rows.get(idHash);
    if (!row) return null;
    return { ...row, userName: this.userNames[row.userId] ?? `user-${row.userId}`, platformAdmin: true, userDisabled: this.disabled.has(row.userId),
      tokenRevoked: row.tokenId !== null && this.revokedTokens.has(row.tokenId) };
  }

  async touch(idHash: string, at: Date): Promise<void> {
    const row = this.rows.get(idHash);
    if (row) row.lastSeenAt = at;
  }

  async remove(idHash: string): Promise<void> {
    this.rows.delete(idHash);
  }

  async removeExpired(now: Date, idleSince: Date): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.rows) {
      if (row.expiresAt <= now || row.lastSeenAt <= idleSince) { this.rows.delete(key); removed += 1; }
    }
    return removed;
  }
}

export class FakeClock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void { this.ms += ms; }
}
