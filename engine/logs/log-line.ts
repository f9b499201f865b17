/**
 * One line of an app's log stream and its Heroku text form:
 * `2026-12-05T18:00:00.123456+00:00 app[web.1]: listening on 5000`.
 * Pure: no I/O, shared by the store, the API, the CLI and the drains.
 */

/** Where a line came from, as Heroku names them (plus `slipway`, the platform, for Heroku's `heroku`). */
export const LOG_SOURCES = ['app', 'router', 'build', 'slipway'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export interface LogLine {
  /** Position in the app's stream: increases by one per line kept, never reused (also across restarts). */
  readonly seq: number;
  /** Microseconds since the epoch (when the process wrote it, or when the platform saw it). */
  readonly time: number;
  readonly source: LogSource;
  /** The process: `web.1`, `run.3`, `router`, `api`, a build's `build`. */
  readonly process: string;
  readonly text: string;
}

/** A line before the stream numbered it. */
export type NewLogLine = Omit<LogLine, 'seq'>;

/** Heroku's (Logplex's) limit: longer lines are cut here and marked. */
export const MAX_LINE_BYTES = 10_000;

/** Microseconds since the epoch, now. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** `2026-12-05T18:00:00.123456+00:00`: UTC, six decimals, as Heroku prints. */
export function formatTime(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString(); // 2026-12-05T18:00:00.123Z
  const fraction = String(micros - Math.floor(micros / 1_000_000) * 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${fraction}+00:00`;
}

/** The whole Heroku line, without a newline. */
export function formatLine(line: Pick<LogLine, 'time' | 'source' | 'process' | 'text'>): string {
  return `${formatTime(line.time)} ${line.source}[${line.process}]: ${line.text}`;
}

/**
 * The text of one line as it is kept: control characters other than tab shown as `\xNN` (a line
 * can then never forge a second one in a terminal or a drain) and cut at MAX_LINE_BYTES.
 */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  let clean = text.replace(/\r$/, '').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (Buffer.byteLength(clean, 'utf8') > MAX_LINE_BYTES) {
    clean = Buffer.from(clean, 'utf8').subarray(0, MAX_LINE_BYTES - 20).toString('utf8').replace(/\uFFFD$/, '');
    clean += ' [line truncated]';
  }
  return clean;
}

/** Process names as instances carry them: `web.1`, `run.42`, `worker`. */
const PROCESS_NAME = /^[A-Za-z0-9_-]{1,64}(\.[0-9]{1,9})?$/;

export function isProcessName(name: string): boolean {
  return PROCESS_NAME.test(name);
}
