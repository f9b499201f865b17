/**
 * Slipway's per-container exporter: CPU, resident memory, memory limit and restarts of every app
 * instance, labelled by app, process type and instance, in Prometheus's text format (prom-client).
 * Values are read from the sampler on each scrape (at most once per its interval), so nothing
 * polls Docker between scrapes. Served to operators only (docs/metrics.md): the figures name
 * every tenant's apps.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../lib/log';
import type { ContainerSample } from './container-sample';
import type { ContainerSampler } from './container-sampler';

const LABEL_NAMES = ['app', 'process_type', 'instance_id'] as const;
type InstanceLabels = Record<(typeof LABEL_NAMES)[number], string>;

export class ContainerExporter {
  readonly contentType: string;
  private readonly registry = new Registry();
  private readonly cpu: Counter<(typeof LABEL_NAMES)[number]>;
  private readonly rss: Gauge<(typeof LABEL_NAMES)[number]>;
  private readonly limit: Gauge<(typeof LABEL_NAMES)[number]>;
  private readonly restarts: Counter<(typeof LABEL_NAMES)[number]>;
  private readonly instances: Gauge;
  private readonly failures: Counter;
  private failuresSoFar = 0;

  constructor(
    private readonly sampler: ContainerSampler,
    private readonly logger: Logger,
  ) {
    const registers = [this.registry];
    this.contentType = this.registry.contentType;
    this.cpu = new Counter({ name: 'slipway_container_cpu_seconds_total', help: 'CPU time used by an app instance since its container started.', labelNames: LABEL_NAMES, registers });
    this.rss = new Gauge({ name: 'slipway_container_memory_rss_bytes', help: 'Resident memory of an app instance (anonymous memory, without page cache).', labelNames: LABEL_NAMES, registers });
    this.limit = new Gauge({ name: 'slipway_container_memory_limit_bytes', help: 'Memory limit of an app instance (its size).', labelNames: LABEL_NAMES, registers });
    this.restarts = new Counter({ name: 'slipway_container_restarts_total', help: 'Times Docker restarted an app instance after its process exited.', labelNames: LABEL_NAMES, registers });
    this.instances = new Gauge({ name: 'slipway_container_instances', help: 'App instances (containers) sampled at this scrape.', registers });
    this.failures = new Counter({ name: 'slipway_container_sample_failures_total', help: 'Scrapes for which Docker could not be read.', registers });
  }

  /** The exposition for one scrape; a Docker failure answers the exporter's own figures only. */
  async render(): Promise<string> {
    let samples: ContainerSample[] | null;
    try {
      samples = await this.sampler.sample();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read container stats from Docker for the metrics scrape');
      samples = null;
      this.failuresSoFar += 1;
    }
    this.registry.resetMetrics();
    this.failures.inc(this.failuresSoFar);
    this.instances.set(samples?.length ?? 0);
    for (const sample of samples ?? []) this.record(sample);
    return this.registry.metrics();
  }

  private record(sample: ContainerSample): void {
    const labels: InstanceLabels = { app: sample.app, process_type: sample.processType, instance_id: sample.instanceId };
    if (sample.cpuSeconds !== null) this.cpu.inc(labels, sample.cpuSeconds);
    if (sample.memoryRssBytes !== null) this.rss.set(labels, sample.memoryRssBytes);
    if (sample.memoryLimitBytes !== null) this.limit.set(labels, sample.memoryLimitBytes);
    this.restarts.inc(labels, sample.restarts);
  }
}
