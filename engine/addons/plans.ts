/**
 * What each plan gives a server: container limits and the server's own settings that must fit in
 * them (a server told it has more memory than its cgroup is killed instead of slowing down).
 */
import type { AddonKind, AddonPlan } from './kinds';

export interface PlanLimits {
  memoryMb: number;
  cpu: number;
  pids: number;
}

export const PLAN_LIMITS: Record<AddonPlan, PlanLimits> = {
  small: { memoryMb: 256, cpu: 0.5, pids: 128 },
  medium: { memoryMb: 1024, cpu: 1, pids: 256 },
};

/** The server's arguments for a plan (passed to the image's entry, after its own). */
export function serverArgs(kind: AddonKind, plan: AddonPlan): string[] {
  const medium = plan === 'medium';
  switch (kind) {
    case 'postgresql':
      return [
        '-c', `shared_buffers=${medium ? '256MB' : '48MB'}`,
        '-c', `max_connections=${medium ? 100 : 40}`,
        '-c', `work_mem=${medium ? '4MB' : '2MB'}`,
        '-c', `maintenance_work_mem=${medium ? '64MB' : '16MB'}`,
        '-c', `effective_cache_size=${medium ? '640MB' : '128MB'}`,
      ];
    case 'mysql':
      return [
        `--innodb-buffer-pool-size=${medium ? '384M' : '64M'}`,
        `--max-connections=${medium ? 100 : 40}`,
        `--performance-schema=OFF`,
        `--key-buffer-size=${medium ? '16M' : '8M'}`,
      ];
    case 'redis':
      // Room beside the dataset for the fork of BGSAVE and AOF rewrites (copy-on-write).
      return ['--maxmemory', medium ? '640mb' : '160mb'];
  }
}
