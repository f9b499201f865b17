/**
 * One access-log line and the request metrics per request, the same for both of the router's
 * paths (the fast path of router/fast-proxy.ts and the full proxy of router/proxy.ts), so an
 * operator cannot tell from the logs or /metrics which path carried a request.
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
  /** Response bytes sent to the client (body, or whole response on the fast path). */
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
}

export function recordAccess(logger: Logger, metrics: RequestMetrics | undefined, record: AccessRecord, extra?: Record<string, unknown>): void {
  const durationMs = Math.round((performance.now() - record.startedAt) * 10) / 10;
  const backendMs = record.firstByteAt > 0 ? Math.round((record.firstByteAt - record.sentAt) * 10) / 10 : null;
  logger.info(
    {
      method: record.method,
      path: record.path,
      host: record.host ?? null,
      app: record.app ?? null,
      status: record.status,
      bytes: record.bytes,
      bytesIn: record.bytesIn,
      durationMs,
      backendMs,
      backend: record.backend ?? null,
      requestId: record.requestId,
      code: record.code,
      attempts: record.attempts,
      ...extra,
    },
    'request',
  );
  metrics?.request(record.app ?? '', record.status, durationMs / 1000, backendMs === null ? null : backendMs / 1000, record.code);
}
