/**
 * The metrics parts of the control plane, made and wired here so that platform.ts only asks for
 * them: Slipway's own metrics and what they measure, the container exporter, the per-app
 * queries against Prometheus, and who may scrape (docs/metrics.md).
 */
import type Docker from 'dockerode';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { AppMetricsService } from '../engine/metrics/app-metrics-service';
import { ContainerExporter } from '../engine/metrics/container-exporter';
import { ContainerSampler } from '../engine/metrics/container-sampler';
import { DockerStatsSource } from '../engine/metrics/docker-stats-source';
import { countRejections, meterBuildRecords, meterPasses, timeCalls } from '../engine/metrics/instrument';
import { PlatformMetrics } from '../engine/metrics/platform-metrics';
import { PrometheusStore } from '../engine/metrics/prometheus-store';
import type { Database } from '../engine/store/database';
import { loadOrCreateMetricsToken } from './metrics-token';

export interface MetricsParts {
  readonly platform: PlatformMetrics;
  readonly containers: ContainerExporter;
  readonly appMetrics: AppMetricsService;
  /** The token Prometheus presents to /metrics (platform admins' API tokens work too). */
  readonly scrapeToken: string;
}

export function createMetrics(options: {
  config: Config;
  docker: Docker;
  platformId: string;
  logger: Logger;
  metrics?: PlatformMetrics;
  /** Throws app_not_found when there is no such app. */
  appExists: (app: string) => Promise<void>;
}): MetricsParts {
  return {
    scrapeToken: loadOrCreateMetricsToken(options.config.metricsTokenFile),
    platform: options.metrics ?? new PlatformMetrics(),
    containers: new ContainerExporter(new ContainerSampler(new DockerStatsSource(options.docker, options.platformId)), options.logger),
    appMetrics: new AppMetricsService(new PrometheusStore(options.config.prometheusUrl), options.appExists),
  };
}

/** The database's failed queries, counted as knex reports them. */
export function meterDatabase(db: Database, metrics: PlatformMetrics): void {
  db.on('query-error', () => metrics.databaseError());
}

/** The etcd publisher, whose every method is one etcd operation: each failure is counted. */
export function meterEtcd<T extends object>(publisher: T, metrics: PlatformMetrics): T {
  return countRejections(publisher, (operation) => metrics.etcdError(operation));
}

/** Builds by their record, deploys by the deployer's rollout, reconciler passes. */
export function meterWork(metrics: PlatformMetrics, parts: {
  builds: Parameters<typeof meterBuildRecords>[0];
  deployer: { deploy(...args: never[]): Promise<void> };
  reconciler: { reconcileAll(): Promise<void> };
}): void {
  meterBuildRecords(parts.builds, (outcome, seconds) => metrics.build(outcome, seconds));
  timeCalls(parts.deployer, 'deploy', (outcome, seconds) => metrics.deploy(outcome, seconds));
  meterPasses(parts.reconciler, (seconds) => metrics.reconcilePass(seconds));
}
