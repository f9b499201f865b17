/**
 * Slipway's own metrics (prom-client): API requests by route and status with their latency,
 * builds and deploys by outcome with their duration, reconciler passes, etcd and database errors,
 * and the process's own figures. One instance per platform process, passed down from the
 * composition root; nothing here is global, so several platforms in one test process stay apart.
 *
 * No label carries an app, team or user name: routes are templates (`/apps/:app`), so the
 * numbers say how the platform behaves, not what any tenant does.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type Outcome = 'succeeded' | 'failed';

/** From a fast API answer to a slow one; builds and deploys have buckets of their own. */
const API_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Builds and deploys: seconds to the 15-minute build timeout. */
const WORK_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800];
const PASS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<'method' | 'route' | 'status'>;
  private readonly apiDuration: Histogram<'method' | 'route'>;
  private readonly builds: Counter<'outcome'>;
  private readonly buildDuration: Histogram<'outcome'>;
  private readonly deploys: Counter<'outcome'>;
  private readonly deployDuration: Histogram<'outcome'>;
  private readonly reconcilePasses: Counter;
  private readonly reconcileDuration: Histogram;
  private readonly etcdErrors: Counter<'operation'>;
  private readonly databaseErrors: Counter;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.apiRequests = new Counter({ name: 'slipway_api_requests_total', help: 'API requests answered, by method, route template and HTTP status.', labelNames: ['method', 'route', 'status'], registers });
    this.apiDuration = new Histogram({ name: 'slipway_api_request_duration_seconds', help: 'Time to answer an API request, by method and route template.', labelNames: ['method', 'route'], buckets: API_BUCKETS, registers });
    this.builds = new Counter({ name: 'slipway_builds_total', help: 'Builds finished, by outcome.', labelNames: ['outcome'], registers });
    this.buildDuration = new Histogram({ name: 'slipway_build_duration_seconds', help: 'How long builds took, by outcome.', labelNames: ['outcome'], buckets: WORK_BUCKETS, registers });
    this.deploys = new Counter({ name: 'slipway_deploys_total', help: 'Deploys (rollouts of a release) finished, by outcome.', labelNames: ['outcome'], registers });
    this.deployDuration = new Histogram({ name: 'slipway_deploy_duration_seconds', help: 'How long deploys took, by outcome.', labelNames: ['outcome'], buckets: WORK_BUCKETS, registers });
    this.reconcilePasses = new Counter({ name: 'slipway_reconcile_passes_total', help: 'Reconciler passes over every app.', registers });
    this.reconcileDuration = new Histogram({ name: 'slipway_reconcile_pass_duration_seconds', help: 'How long a reconciler pass over every app took.', buckets: PASS_BUCKETS, registers });
    this.etcdErrors = new Counter({ name: 'slipway_etcd_errors_total', help: 'Failed etcd operations of the platform (route publishing), by operation.', labelNames: ['operation'], registers });
    this.databaseErrors = new Counter({ name: 'slipway_database_errors_total', help: 'Failed database queries.', registers });
    // Series that exist from the start read 0 instead of being absent until the first event.
    for (const outcome of ['succeeded', 'failed'] as const) {
      this.builds.inc({ outcome }, 0);
      this.deploys.inc({ outcome }, 0);
    }
    this.reconcilePasses.inc(0);
    this.databaseErrors.inc(0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'slipway_platform_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  apiRequest(method: string, route: string, status: number, seconds: number): void {
    this.apiRequests.inc({ method, route, status: String(status) });
    this.apiDuration.observe({ method, route }, seconds);
  }

  build(outcome: Outcome, seconds: number): void {
    this.builds.inc({ outcome });
    this.buildDuration.observe({ outcome }, seconds);
  }

  deploy(outcome: Outcome, seconds: number): void {
    this.deploys.inc({ outcome });
    this.deployDuration.observe({ outcome }, seconds);
  }

  reconcilePass(seconds: number): void {
    this.reconcilePasses.inc();
    this.reconcileDuration.observe(seconds);
  }

  etcdError(operation: string): void {
    this.etcdErrors.inc({ operation });
  }

  databaseError(): void {
    this.databaseErrors.inc();
  }
}
