/** Token scopes nest: read ⊂ deploy ⊂ admin. A token never grants more than its user has; its scope can only take away. */
import { SlipwayError } from '../lib/errors';
import type { TokenScope } from './principal';

export const TOKEN_SCOPES: readonly TokenScope[] = Object.freeze(['read', 'deploy', 'admin']);

/** True when a token of scope `have` may do what needs `need`. */
export function scopeIncludes(have: TokenScope, need: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(have) >= TOKEN_SCOPES.indexOf(need);
}

export function parseScope(text: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(text)) return text as TokenScope;
  throw new SlipwayError('invalid_token_request', `"${text.slice(0, 40)}" is not a token scope: use read, deploy or admin.`);
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `90s`, `15m`, `1h`, `30d`, `2w` → milliseconds (as `tokens:create --expires` and `audit --since` take them). */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) {
    throw new SlipwayError('invalid_request', `"${text.slice(0, 40)}" is not a duration: use a number and a unit, such as 90s, 15m, 1h, 30d or 2w.`);
  }
  return Number(match[1]) * UNITS[match[2]!]!;
}
