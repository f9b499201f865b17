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
import { isSlipwayError, SlipwayError } from '../../lib/errors';
import { sameToken } from '../../lib/same-token';
import { bearerToken } from '../auth';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { AppMetricsQuery, AppMetricsSchema, RequestRatesQuery, RequestRatesSchema } from '../schemas/metrics';
import type { AccessChecker } from '../../engine/policy';
import type { AppMetricsService } from '../../engine/metrics/app-metrics-service';
import type { ContainerExporter } from '../../engine/metrics/container-exporter';
import type { PlatformMetrics } from '../../engine/metrics/platform-metrics';

export interface MetricsEndpointsDeps {
  readonly platform: PlatformMetrics;
  readonly containers: ContainerExporter | null;
  /** The token Prometheus presents (SLIPWAY_METRICS_TOKEN_FILE). */
  readonly scrapeToken: string;
}

/**
 * `/metrics` and `/metrics/containers`. `operator` decides for any other token: it throws
 * unauthorized or forbidden unless the caller is a platform admin (`platform:admin`).
 */
export function metricsEndpoints(deps: MetricsEndpointsDeps, operator: (req: Request) => Promise<void>): Router {
  const router = Router();
  const operatorOnly = (req: Request, _res: Response, next: NextFunction): void => {
    const token = bearerToken(req.header('authorization'));
    if (!token) {
      next(new SlipwayError('unauthorized', 'Metrics are for operators: send the scrape token (SLIPWAY_METRICS_TOKEN_FILE) or a platform admin\'s API token as a Bearer token.'));
      return;
    }
    if (sameToken(token, deps.scrapeToken)) {
      next();
      return;
    }
    operator(req).then(() => next(), next);
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

/**
 * Marks the requests of a router mounted at `base` (`/api/v1`): Express restores `req.baseUrl`
 * when an error leaves the router, so a refused request would otherwise lose its prefix.
 */
export function routeBase(base: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals.routeBase = base;
    next();
  };
}

/** The route template a request matched (`/api/v1/apps/:app`), or "unmatched". */
export function routeTemplate(req: Request, res: Response): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  const base = typeof res.locals.routeBase === 'string' ? res.locals.routeBase : '';
  return `${base}${route.path}`;
}

/** Counts and times every request; mount first so that refusals (401, 404) are counted too. */
export function apiRequestMetrics(metrics: PlatformMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.on('finish', () => {
      metrics.apiRequest(req.method, routeTemplate(req, res), res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}

/**
 * `GET /apps/:app/metrics?since=1h&step=10s&until=…`: the app's graphs (docs/metrics.md); needs app:operate, as reading logs does (issue 13).
 * `GET /metrics/request-rates?since=1h`: every app's requests/s in one answer (the console's apps
 * list), each app checked against the policy for app:operate like its own graphs.
 */
export function appMetricsRoutes(service: AppMetricsService, access: AccessChecker): Route[] {
  return [defineRoute({
    method: 'get', path: '/apps/:app/metrics', tag: 'metrics',
    summary: 'The app\'s requests/s, status classes, latency p50/p95/p99, CPU, memory and restarts over a window, from Prometheus',
    params: AppParams, query: AppMetricsQuery, response: AppMetricsSchema, errors: ['metrics_unavailable'],
    access: ({ params }) => ({ action: 'app:operate', app: params.app }),
    handler: ({ params, query }) => service.forApp(params.app, { since: query.since, step: query.step, until: query.until }),
  }), defineRoute({
    method: 'get', path: '/metrics/request-rates', tag: 'metrics',
    summary: 'Requests/s of every app you may operate that had requests, a point a minute (the console\'s sparklines)',
    query: RequestRatesQuery, response: RequestRatesSchema, errors: ['metrics_unavailable'],
    access: () => ({ action: 'account' }),
    handler: ({ query, principal }) => service.requestRates(query.since, async (app) => {
      try {
        await access.check(principal, { action: 'app:operate', app });
        return true;
      } catch (error) {
        if (isSlipwayError(error)) return false;
        throw error;
      }
    }),
  })];
}
