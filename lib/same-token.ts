/** Secret tokens compared without telling, by timing, how much of a guess was right. */
import crypto from 'node:crypto';

/** Compares in constant time (by hashes, so lengths do not show either). */
export function sameToken(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
