/**
 * One access-log line and the request metrics per request, the same for both of the router's
 * paths (the fast path of router/fast-proxy.ts and the full proxy of router/proxy.ts), so an
 * operator cannot tell from the logs or /metrics which path carried a request.
 *
 * In the router process the line is written by a serializer of its own, straight to the log's
 * destination, in exactly the shape pino writes (level, time, bindings, fields, msg): pino's
 * general-purpose path cost about as much CPU as proxying the request itself. Without a
 * destination (tests, embedding) the line goes through the logger like any other.
 */
import type { Logger } from '../lib/log';
import type { RouterErrorCode } from './error-pages';
import type { RequestMetrics } from './metrics';

export interface AccessRecord {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly host: string | undefined;
  readonly app: string | undefined;
  readonly status: number;
  /** Response body bytes sent to the client. */
  readonly bytes: number;
  readonly bytesIn: number;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** performance.now() when it went to the backend, and when the backend's answer began (0: never). */
  readonly sentAt: number;
  readonly firstByteAt: number;
  readonly backend: string | undefined;
  readonly requestId: string;
  readonly code: RouterErrorCode | null;
  readonly attempts: number;
  /** The instance (its id in etcd) that answered, for the app's log stream. */
  readonly instance?: string;
  /** X-Forwarded-For as passed on to the app. */
  readonly fwd?: string;
}

/** Where access lines go directly: the log's destination, and the logger's bindings to repeat. */
export interface AccessLineSink {
  write(line: string): void;
  /** Fields every line of the logger carries (e.g. `{ component: 'router', worker: '1' }`). */
  readonly bindings: Readonly<Record<string, unknown>>;
}

/** Where each app's router lines go (router/app-log-spool.ts). */
export interface AccessSpool {
  record(record: AccessRecord, fwd: string | undefined): void;
}

/** pino's number for the info level. */
const INFO = 30;

export class AccessLog {
  private readonly direct: boolean;
  private readonly prefix: string;
  private lastTime = 0;
  private lastIso = '';

  constructor(
    private readonly logger: Logger,
    private readonly metrics: RequestMetrics | undefined,
    private readonly sink?: AccessLineSink,
    /** Each app's router lines (its log stream), besides the router's own log. */
    private readonly spool?: AccessSpool,
  ) {
    this.direct = sink !== undefined;
    let bindings = '';
    if (sink) for (const [name, value] of Object.entries(sink.bindings)) bindings += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
    this.prefix = bindings;
  }

  record(record: AccessRecord, extra?: Readonly<Record<string, unknown>>): void {
    // Durations are logged in tenths of a millisecond, kept as whole numbers until written.
    const durationTenths = Math.round((performance.now() - record.startedAt) * 10);
    const backendTenths = record.firstByteAt > 0 ? Math.round((record.firstByteAt - record.sentAt) * 10) : -1;
    this.metrics?.request(record.app ?? '', record.status, durationTenths / 10_000, backendTenths < 0 ? null : backendTenths / 10_000, record.code);
    this.spool?.record(record, record.fwd);
    if (!this.logger.isLevelEnabled('info')) return;
    if (this.direct) {
      (this.sink as AccessLineSink).write(this.line(record, durationTenths, backendTenths, extra));
      return;
    }
    this.logger.info(
      {
        method: record.method,
        path: record.path,
        host: record.host ?? null,
        app: record.app ?? null,
        status: record.status,
        bytes: record.bytes,
        bytesIn: record.bytesIn,
        durationMs: durationTenths / 10,
        backendMs: backendTenths < 0 ? null : backendTenths / 10,
        backend: record.backend ?? null,
        requestId: record.requestId,
        code: record.code,
        attempts: record.attempts,
        ...extra,
      },
      'request',
    );
  }

  /**
   * The JSON line pino would write for the same call, field for field. Durations come in tenths
   * of a millisecond (-1: none) and are written without a floating-point conversion, which costs
   * more than the rest of a field. The method (an HTTP token) never needs escaping.
   */
  line(record: AccessRecord, durationTenths: number, backendTenths: number, extra?: Readonly<Record<string, unknown>>): string {
    const now = Date.now();
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastIso = new Date(now).toISOString();
    }
    let line =
      `{"level":${INFO},"time":"${this.lastIso}"${this.prefix}` +
      `,"method":${plain(record.method)},"path":${text(record.path)},"host":${text(record.host)},"app":${text(record.app)}` +
      `,"status":${record.status},"bytes":${record.bytes},"bytesIn":${record.bytesIn},"durationMs":${tenths(durationTenths)},"backendMs":${backendTenths < 0 ? 'null' : tenths(backendTenths)}` +
      `,"backend":${text(record.backend)},"requestId":${text(record.requestId)},"code":${record.code === null ? 'null' : `"${record.code}"`},"attempts":${record.attempts}`;
    if (extra) for (const [name, value] of Object.entries(extra)) line += `,${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`;
    return `${line},"msg":"request"}\n`;
  }
}

/** A whole number of tenths as JSON writes the number it stands for: 12 → 1.2, 30 → 3. */
function tenths(value: number): string {
  const digit = value % 10;
  return digit === 0 ? `${value / 10}` : `${(value - digit) / 10}.${digit}`;
}

/** A string known to need no escaping. */
function plain(value: string | undefined): string {
  return value === undefined ? 'null' : `"${value}"`;
}

/** Printable ASCII without `"` and `\`: written as it is; anything else is escaped by JSON.stringify. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function text(value: string | undefined): string {
  if (value === undefined) return 'null';
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}
