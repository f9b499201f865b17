/**
 * A token bucket per app: up to `perSecond` lines a second on average, bursts of one second's
 * worth. Lines over it are counted, not kept; the count is reported once the bucket refills
 * (Heroku's L12 "local buffer overflow"). Pure apart from the clock it is given.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private dropped = 0;

  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Whether one more line may go in now. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped += 1;
    return false;
  }

  /** Lines refused since the last call, when there were some and a line may go in again (then 0 until more are refused). */
  takeDropped(): number {
    if (this.dropped === 0) return 0;
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}
