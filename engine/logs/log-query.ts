/** Which lines of a stream a reader wants (`logs -n 500 --ps web --source app --since 2h`). Pure. */
import { SlipwayError } from '../../lib/errors';
import { LOG_SOURCES, type LogLine, type LogSource } from './log-line';

export interface LogQuery {
  /** The last this many matching lines. */
  readonly lines: number;
  /** `web` (every web instance) or `web.1` (that one). */
  readonly ps?: string;
  readonly source?: LogSource;
  /** Only lines at or after this time (microseconds since the epoch). */
  readonly sinceMicros?: number;
}

export const DEFAULT_LINES = 100;
export const MAX_LINES = 100_000;

export function matches(line: LogLine, query: Omit<LogQuery, 'lines'>): boolean {
  if (query.source !== undefined && line.source !== query.source) return false;
  if (query.sinceMicros !== undefined && line.time < query.sinceMicros) return false;
  if (query.ps !== undefined) {
    const ps = query.ps;
    if (line.process !== ps && !(line.process.startsWith(`${ps}.`) && !ps.includes('.'))) return false;
  }
  return true;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `2h`, `30m`, `45s`, `7d`, or an ISO 8601 time → microseconds since the epoch. */
export function parseSince(value: string, nowMs: number): number {
  const relative = /^(\d{1,9})([smhd])$/.exec(value.trim());
  if (relative) return (nowMs - Number(relative[1]) * UNITS[relative[2]!]! * 1000) * 1000;
  const absolute = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(absolute)) return absolute * 1000;
  throw new SlipwayError('invalid_request', `since=${value} is neither a duration like 2h, 30m, 45s or 7d nor a time like 2026-12-05T18:00:00Z.`);
}

export function parseSource(value: string): LogSource {
  if ((LOG_SOURCES as readonly string[]).includes(value)) return value as LogSource;
  throw new SlipwayError('invalid_request', `source=${value} is not one of: ${LOG_SOURCES.join(', ')}.`);
}

export function parsePs(value: string): string {
  if (/^[A-Za-z0-9_-]{1,64}(\.[1-9][0-9]{0,8})?$/.test(value)) return value;
  throw new SlipwayError('invalid_request', `ps=${value} is not a process type or instance, like web or web.1.`);
}

export function parseLines(value: number | undefined): number {
  if (value === undefined) return DEFAULT_LINES;
  if (!Number.isInteger(value) || value < 0 || value > MAX_LINES) {
    throw new SlipwayError('invalid_request', `lines=${value} must be a whole number from 0 to ${MAX_LINES}.`);
  }
  return value;
}
