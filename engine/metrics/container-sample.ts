/**
 * What Slipway's container exporter reports per app instance, and the pure mapping from what
 * Docker says about a container (its labels, `inspect`, and one `stats` reading) to it. The I/O
 * lives in docker-stats-source.ts; this module only reads plain objects, so it is unit-tested on
 * recorded shapes of Docker's answers (cgroup v1 and v2).
 */
import { LABELS } from '../drivers/docker-driver';

/** One app instance's figures at one moment. */
export interface ContainerSample {
  readonly app: string;
  readonly processType: string;
  /** The instance's id (`<app>.<process>.<hex>` from the driver, `<app>.run.<n>` for one-offs). */
  readonly instanceId: string;
  /** CPU time used since the container started, in seconds (a counter: Prometheus takes its rate). */
  readonly cpuSeconds: number | null;
  /** Resident memory (anonymous memory, without the page cache), in bytes; null when not running. */
  readonly memoryRssBytes: number | null;
  /** The memory limit the instance runs with, in bytes (its size); null when Docker sets none. */
  readonly memoryLimitBytes: number | null;
  /** How often Docker restarted the container after its process exited (crashes). */
  readonly restarts: number;
}

/** The parts of Docker's `GET /containers/:id/stats` answer this exporter reads. */
export interface DockerStats {
  readonly cpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number } };
  readonly memory_stats?: {
    readonly usage?: number;
    readonly limit?: number;
    /** cgroup v1: rss and total_rss; cgroup v2: anon. */
    readonly stats?: Readonly<Record<string, number>>;
  };
}

/** The parts of `inspect` read: restarts and the configured memory limit. */
export interface DockerInspectFacts {
  readonly restartCount: number;
  /** HostConfig.Memory: 0 means no limit. */
  readonly memoryLimitBytes: number;
}

export interface InstanceIdentity {
  readonly app: string;
  readonly processType: string;
  readonly instanceId: string;
}

/** The app, process type and instance of a container, or null when it is not an app instance of ours. */
export function identityFromLabels(labels: Readonly<Record<string, string>> | undefined): InstanceIdentity | null {
  if (!labels) return null;
  const app = labels[LABELS.app];
  const processType = labels[LABELS.process];
  const instanceId = labels[LABELS.instance];
  if (!app || !processType || !instanceId) return null;
  return { app, processType, instanceId };
}

/** Resident memory from a stats reading: cgroup v1's total_rss (or rss), cgroup v2's anon. */
export function rssFrom(stats: DockerStats['memory_stats']): number | null {
  const detail = stats?.stats;
  if (!detail) return null;
  for (const field of ['total_rss', 'rss', 'anon']) {
    const value = detail[field];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return null;
}

/**
 * The sample of one instance. `stats` is null for a container that is not running (restarting
 * after a crash): it still reports its restarts and limit, and no CPU or memory.
 */
export function sampleOf(identity: InstanceIdentity, inspect: DockerInspectFacts, stats: DockerStats | null): ContainerSample {
  const cpuNanos = stats?.cpu_stats?.cpu_usage?.total_usage;
  // The configured limit is the instance's size; Docker's stats limit is the host's memory when none is set.
  const limit = inspect.memoryLimitBytes > 0 ? inspect.memoryLimitBytes : null;
  return {
    ...identity,
    cpuSeconds: typeof cpuNanos === 'number' && Number.isFinite(cpuNanos) ? cpuNanos / 1e9 : null,
    memoryRssBytes: stats ? rssFrom(stats.memory_stats) : null,
    memoryLimitBytes: limit,
    restarts: Math.max(0, inspect.restartCount),
  };
}
