/**
 * One request's way through the router, as both paths (router/fast-proxy.ts and the full proxy,
 * router/proxy.ts) keep it: the facts its access line reports, and the rules for choosing the
 * next backend and for retrying after a failed attempt, so the two paths cannot drift apart.
 */
import type { AccessRecord } from './access-log';
import type { RouterErrorCode } from './error-pages';
import type { RequestMetrics } from './metrics';
import { mayRetry } from './proxy-policy';
import type { BackendEntry, RouteLookup } from './route-table';

/** The route table as the proxies use it: lookups, and marking a backend unhealthy. */
export interface ProxyRoutes extends RouteLookup {
  eject(backend: BackendEntry, forMs: number): void;
}

export interface RetrySettings {
  /** How many attempts (backends, or a fresh connection to the same one) one request may make. */
  readonly maxAttempts: number;
  /** How long a backend that refused a connection gets no requests; 0: never ejected. */
  readonly ejectMs: number;
}


/** The answer when no backend of `app` could take the request. */
export function unreachable(app: string): string {
  return `${app} could not be reached: its web process refused or dropped the connection`;
}

/**
 * What both router paths learn about one request as it goes: the facts its access line and
 * metrics report, and the retry bookkeeping. Each path extends it with its own state.
 */
export class ExchangeFacts {
  readonly startedAt = performance.now();
  requestId = '';
  host: string | undefined = undefined;
  app: string | undefined = undefined;
  backend: BackendEntry | undefined = undefined;
  code: RouterErrorCode | null = null;
  attempts = 0;
  bytesIn = 0;
  bytesOut = 0;
  sentAt = 0;
  firstByteAt = 0;
  /** X-Forwarded-For as the app got it, for the app's router log line. */
  fwd: string | undefined = undefined;
  /** Backends that failed this request (by instance id). */
  failed: Set<string> | null = null;
  /** The last attempt broke on a reused keep-alive connection: the same backend may be retried once, on a fresh one. */
  staleRetry: BackendEntry | null = null;

  /**
   * The backend for the next attempt: one that has not failed this request, or else the one
   * whose pooled connection had gone stale, on a fresh connection. None: the router's answer.
   */
  nextAttempt(routes: RouteLookup): { backend: BackendEntry; fresh: boolean } | { code: RouterErrorCode; message: string } {
    const app = this.app as string;
    const next = routes.nextBackend(app, this.failed ?? undefined);
    const stale = this.staleRetry;
    this.staleRetry = null;
    if (next !== undefined) return { backend: next, fresh: false };
    if (stale !== null) return { backend: stale, fresh: true };
    return this.attempts === 0
      ? { code: 'R503', message: `${app} has no running web process` }
      : { code: 'R502', message: unreachable(app) };
  }

  /**
   * Records an attempt that failed before any answer came, and says whether to try again: a
   * connection that never came up can always be retried (nothing was sent; the backend is
   * ejected for a while); a request that was sent, only when it is idempotent and has no body;
   * none once part of an answer went to the client.
   */
  attemptFailed(
    routes: ProxyRoutes,
    backend: BackendEntry,
    failure: { readonly connectFailed: boolean; readonly reusedConnection: boolean },
    request: { readonly method: string; readonly hasBody: boolean; readonly answerStarted: boolean },
    settings: RetrySettings,
    metrics: RequestMetrics | undefined,
  ): { retry: boolean; ejected: boolean } {
    // Try the other backends first, whatever the failure.
    (this.failed ??= new Set()).add(backend.instanceId);
    const ejected = failure.connectFailed && settings.ejectMs > 0;
    if (ejected) {
      // Refused, unreachable or timed out: the backend never saw the request.
      routes.eject(backend, settings.ejectMs);
      metrics?.ejection(this.app ?? '');
    } else if (!failure.connectFailed && failure.reusedConnection) {
      // Most likely the backend closed an idle pooled connection just as it was reused.
      this.staleRetry = backend;
    }
    const retry = mayRetry(failure, request, this.attempts, settings.maxAttempts);
    if (retry) metrics?.retry(this.app ?? '');
    return { retry, ejected };
  }

  /** The access record of this exchange, answered with `status`. */
  record(method: string | undefined, path: string | undefined, status: number): AccessRecord {
    return {
      method,
      path,
      host: this.host,
      app: this.app,
      status,
      bytes: this.bytesOut,
      bytesIn: this.bytesIn,
      startedAt: this.startedAt,
      sentAt: this.sentAt,
      firstByteAt: this.firstByteAt,
      backend: this.backend?.url,
      requestId: this.requestId,
      code: this.code,
      attempts: this.attempts,
      instance: this.backend?.instanceId,
      fwd: this.fwd,
    };
  }
}
