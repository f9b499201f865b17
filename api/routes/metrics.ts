/**
 * Metrics over HTTP:
 * - `GET /metrics` (Slipway's own, prom-client) and `GET /metrics/containers` (every app
 *   instance's CPU, memory and restarts) on the API port, outside /api/v1, for Prometheus and
 *   operators only: the scrape token (SLIPWAY_METRICS_TOKEN_FILE) or a platform admin's token.
 *   Container figures name every tenant's apps, so no other user may read them.
 * - the middleware that counts and times every API request by route template (never by the
 *   path a caller sent: `/apps/:app`, not the app's name).
 */
import type { NextFunction, Request, Response } from 'express';
import { Router } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { AppMetricsService } from '../../engine/metrics/app-metrics-service';
import type { ContainerExporter } from '../../engine/metrics/container-exporter';
import type { PlatformMetrics } from '../../engine/metrics/platform-metrics';

/** What a bearer token may do with /metrics. */
export type ScrapeAccess = 'allowed' | 'unknown-token' | 'not-an-operator';

export interface MetricsEndpointsDeps {
  readonly platform: PlatformMetrics;
  readonly containers: ContainerExporter | null;
  readonly authorize: (token: string) => Promise<ScrapeAccess>;
}

export function metricsEndpoints(deps: MetricsEndpointsDeps): Router {
  const router = Router();
  const operatorOnly = (req: Request, _res: Response, next: NextFunction): void => {
    const token = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '')?.[1]?.trim();
    if (!token) {
      next(new SlipwayError('unauthorized', 'Metrics are for operators: send the scrape token (SLIPWAY_METRICS_TOKEN_FILE) or a platform admin\'s API token as a Bearer token.'));
      return;
    }
    deps.authorize(token).then((access) => {
      if (access === 'unknown-token') throw new SlipwayError('unauthorized', 'This token is neither the scrape token nor a valid API token.');
      if (access === 'not-an-operator') throw new SlipwayError('forbidden', 'Platform metrics are for platform admins (platform:read); per-app metrics are at GET /api/v1/apps/:app/metrics.');
      next();
    }).catch(next);
  };
  router.get('/metrics', operatorOnly, async (_req, res) => {
    const text = await deps.platform.render();
    res.set('content-type', deps.platform.contentType).set('cache-control', 'no-store').send(text);
  });
  router.get('/metrics/containers', operatorOnly, async (_req, res) => {
    if (!deps.containers) throw new SlipwayError('not_found', 'This installation runs no container exporter.');
    const text = await deps.containers.render();
    res.set('content-type', deps.containers.contentType).set('cache-control', 'no-store').send(text);
  });
  return router;
}

/** The route template a request matched (`/api/v1/apps/:app`), or "unmatched". */
export function routeTemplate(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${req.baseUrl}${route.path}`;
}

/** Counts and times every request; mount first so that refusals (401, 404) are counted too. */
export function apiRequestMetrics(metrics: PlatformMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.on('finish', () => {
      metrics.apiRequest(req.method, routeTemplate(req), res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}

/** `GET /apps/:app/metrics?since=1h&step=10s`: the app's graphs (docs/metrics.md). */
export function appMetricsRoutes(service: AppMetricsService): Router {
  const router = Router();
  router.get('/apps/:app/metrics', async (req, res) => {
    const since = typeof req.query.since === 'string' ? req.query.since : undefined;
    const step = typeof req.query.step === 'string' ? req.query.step : undefined;
    res.json(await service.forApp(String(req.params.app ?? ''), { since, step }));
  });
  return router;
}
