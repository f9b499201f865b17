/**
 * Slows down password guessing, per user name and per address (issue 11 §1). Pure: the clock is
 * injected and nothing is stored outside this object (one API process; several replicas each
 * throttle on their own, which still bounds guesses per replica).
 *
 * The first few failures cost nothing (people mistype); after that each failure doubles the wait
 * before the next attempt is even checked, up to a ceiling. A success clears the user's count.
 * It leaves the address's count alone: an attacker with one account of their own could otherwise
 * clear their address between guesses at other accounts. Counts are forgotten after a quiet
 * period, and the table is bounded so a flood of names cannot grow it without end.
 */
export interface ThrottlePolicy {
  /** Failures allowed without delay, per user name. */
  freeFailuresPerUser: number;
  /** Failures allowed without delay, per address (an office behind one NAT tries many users). */
  freeFailuresPerAddress: number;
  /** The delay after the first failure beyond the free ones, doubled with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A count with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** The most keys kept; the oldest are dropped beyond it. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = Object.freeze({
  freeFailuresPerUser: 5,
  freeFailuresPerAddress: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60 * 1000,
  forgetAfterMs: 60 * 60 * 1000,
  maxEntries: 100_000,
});

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAt: Date; retryAfterSeconds: number };

interface Count {
  failures: number;
  lastFailureMs: number;
  /** No attempt is checked before this time. */
  blockedUntilMs: number;
}

export class LoginThrottle {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether an attempt for `user` from `address` may be checked now. */
  check(user: string, address: string | null): ThrottleDecision {
    const now = this.clock();
    let until = 0;
    for (const key of this.keys(user, address)) {
      const count = this.current(key, now);
      if (count && count.blockedUntilMs > until) until = count.blockedUntilMs;
    }
    if (until <= now) return { allowed: true };
    return { allowed: false, retryAt: new Date(until), retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
  }

  failure(user: string, address: string | null): void {
    const now = this.clock();
    for (const key of this.keys(user, address)) {
      const count = this.current(key, now) ?? { failures: 0, lastFailureMs: now, blockedUntilMs: 0 };
      count.failures += 1;
      count.lastFailureMs = now;
      const free = key.startsWith('u:') ? this.policy.freeFailuresPerUser : this.policy.freeFailuresPerAddress;
      const over = count.failures - free;
      if (over > 0) {
        const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(over - 1, 40));
        count.blockedUntilMs = now + delay;
      }
      this.counts.delete(key); // re-inserted last: the Map's order is the eviction order
      this.counts.set(key, count);
    }
    while (this.counts.size > this.policy.maxEntries) {
      const oldest = this.counts.keys().next().value;
      if (oldest === undefined) break;
      this.counts.delete(oldest);
    }
  }

  success(user: string): void {
    this.counts.delete(userKey(user));
  }

  private keys(user: string, address: string | null): string[] {
    return address ? [userKey(user), `a:${address}`] : [userKey(user)];
  }

  private current(key: string, now: number): Count | null {
    const count = this.counts.get(key);
    if (!count) return null;
    if (now - count.lastFailureMs >= this.policy.forgetAfterMs && now >= count.blockedUntilMs) {
      this.counts.delete(key);
      return null;
    }
    return count;
  }
}

/** User names compare case-insensitively here, so `Admin` and `admin` share one count. */
function userKey(user: string): string {
  return `u:${user.toLowerCase()}`;
}
