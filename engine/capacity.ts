/**
 * Admission control before a deploy or a scale: what the host has left against what the change
 * needs. Memory is reserved strictly (an instance over its limit is killed); CPU limits are caps
 * that may be overcommitted by a factor, as schedulers usually allow.
 */
import { SlipwayError } from '../lib/errors';
import type { HostCapacity } from './runtime-driver';

export interface Demand {
  memoryMb: number;
  cpu: number;
}

export interface CapacityPolicy {
  /** Memory kept back for Slipway, Docker and the system. */
  reservedMemoryMb: number;
  /** CPU limits may add up to cpus × this factor. */
  cpuOvercommit: number;
}

export function totalDemand(items: readonly Demand[]): Demand {
  return items.reduce((sum, item) => ({ memoryMb: sum.memoryMb + item.memoryMb, cpu: sum.cpu + item.cpu }), { memoryMb: 0, cpu: 0 });
}

/** Null when the change fits, else a sentence naming the shortfall and what to do. */
export function capacityShortfall(host: HostCapacity, committed: Demand, extra: Demand, policy: CapacityPolicy, change: string): string | null {
  const memoryLeft = host.memoryMb - policy.reservedMemoryMb - committed.memoryMb;
  const cpuLeft = host.cpus * policy.cpuOvercommit - committed.cpu;
  const problems: string[] = [];
  if (extra.memoryMb > memoryLeft) {
    problems.push(`memory: needs ${extra.memoryMb} MB, ${Math.max(0, memoryLeft)} MB left of ${host.memoryMb} MB`);
  }
  if (extra.cpu > cpuLeft + 1e-9) {
    problems.push(`CPU: needs ${round(extra.cpu)}, ${round(Math.max(0, cpuLeft))} left of ${round(host.cpus * policy.cpuOvercommit)} (${host.cpus} cores × ${policy.cpuOvercommit})`);
  }
  if (problems.length === 0) return null;
  return `Insufficient capacity on this host for ${change}: ${problems.join('; ')}. Scale something down or lower the size with ps:resize.`;
}

export function assertCapacity(...args: Parameters<typeof capacityShortfall>): void {
  const shortfall = capacityShortfall(...args);
  if (shortfall) throw new SlipwayError('insufficient_capacity', shortfall);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One host's figures as admins read them (`GET /capacity`, the console's Capacity page). */
export interface HostUsage {
  name: string;
  instances: number;
  memory: { totalMb: number; reservedMb: number; committedMb: number; freeMb: number };
  /** `allocatable` is cores × the overcommit factor: what CPU limits may add up to. */
  cpu: { cores: number; allocatable: number; committed: number; free: number };
}

/**
 * What the admission check above sees, as figures: the instances that hold room (not exited)
 * commit their limits; free is what the next deploy or scale may still take.
 */
export function hostUsage(name: string, host: HostCapacity, instances: readonly (Demand & { state: string })[], policy: CapacityPolicy): HostUsage {
  const holding = instances.filter((i) => i.state !== 'exited');
  const committed = totalDemand(holding);
  const allocatable = round(host.cpus * policy.cpuOvercommit);
  return {
    name,
    instances: holding.length,
    memory: {
      totalMb: host.memoryMb,
      reservedMb: policy.reservedMemoryMb,
      committedMb: committed.memoryMb,
      freeMb: Math.max(0, host.memoryMb - policy.reservedMemoryMb - committed.memoryMb),
    },
    cpu: { cores: host.cpus, allocatable, committed: round(committed.cpu), free: round(Math.max(0, allocatable - committed.cpu)) },
  };
}
