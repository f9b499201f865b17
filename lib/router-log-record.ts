/**
 * The router → platform contract for per-request log lines (docs/logs.md, "Router lines"): the
 * router appends one JSON object per request to a spool file under the state dir, and the
 * platform reads them into each app's log stream as Heroku's router lines. Both sides import this.
 */

export interface RouterLogRecord {
  /** Microseconds since the epoch when the request arrived. */
  readonly t: number;
  /** App, host, method, path (as the client sent it), status, response body bytes. */
  readonly a: string;
  readonly h: string;
  readonly m: string;
  readonly p: string;
  readonly s: number;
  readonly b: number;
  /** Milliseconds from arrival to the request sent to the app (routing and connecting), and from then to the answer's first byte; -1: never. */
  readonly c: number;
  readonly v: number;
  /** X-Request-Id. */
  readonly r: string;
  /** The instance (backend id in etcd) that answered; "" when none did. */
  readonly i: string;
  /** The client and the proxies before it (X-Forwarded-For as passed on). */
  readonly f: string;
  /** The router's error code (R503…), or "". */
  readonly e: string;
}

/** Folder of spool files, in the state dir. */
export const ROUTER_SPOOL_DIR = ['logs', 'router-spool'] as const;

/** `<pid>-<start ms>-<n>.open` while written, `.done` once the router moved on to the next one. */
export const SPOOL_FILE = /^(\d+)-(\d+)-(\d+)\.(open|done)$/;

export function parseRouterLogRecord(raw: string): RouterLogRecord | null {
  try {
    const r = JSON.parse(raw) as Partial<RouterLogRecord>;
    if (typeof r.a !== 'string' || typeof r.t !== 'number' || typeof r.s !== 'number') return null;
    return {
      t: r.t, a: r.a, h: str(r.h), m: str(r.m), p: str(r.p), s: r.s, b: num(r.b), c: num(r.c), v: num(r.v),
      r: str(r.r), i: str(r.i), f: str(r.f), e: str(r.e),
    };
  } catch {
    return null;
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : -1;
}
