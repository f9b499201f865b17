/**
 * The port through which the engine runs app processes. One interface, two drivers (Docker for
 * one host, Kubernetes for clusters); the deployer and the API never import dockerode directly.
 * Contract: docs/contracts/runtime-driver.md.
 */

export interface InstanceSpec {
  app: string;
  release: number;
  process: string;
  image: string;
  /** Shell command run through the stack's launcher; null keeps the image's own CMD (Dockerfile apps). */
  command: string | null;
  env: Readonly<Record<string, string>>;
  /** The port the process must listen on ($PORT) when it serves HTTP. */
  port: number;
  /** Limits of this instance. */
  memoryMb: number;
  cpu: number;
  /**
   * The team that owns the app: the instance joins that team's network only (lib/team-network.ts)
   * and is reached there by the app's name. Optional until every caller passes it (contract v2):
   * a missing teamId means DEFAULT_TEAM_ID (1).
   */
  teamId?: number;
  /**
   * Named volumes mounted into the instance (docs/storage.md), made by the storage service; the
   * driver makes the mount point writable by the instance's user. Absent: none (contract v3).
   */
  mounts?: readonly VolumeMount[];
}

/** A named volume at an absolute path inside the instance. */
export interface VolumeMount {
  volume: string;
  path: string;
}

export type InstanceState = 'starting' | 'running' | 'crashed' | 'exited';

export interface Instance {
  id: string;
  app: string;
  release: number;
  process: string;
  state: InstanceState;
  /** Where the router reaches the process, e.g. http://127.0.0.1:32768; null when not serving HTTP. */
  url: string | null;
  startedAt: Date | null;
  restartCount: number;
  memoryMb: number;
  cpu: number;
}

/** What the host can give to app instances. */
export interface HostCapacity {
  memoryMb: number;
  cpus: number;
}

export interface RuntimeDriver {
  /** Creates and starts an instance; resolves once it runs (not once it is healthy). */
  start(spec: InstanceSpec): Promise<Instance>;
  /** SIGTERM, then SIGKILL after graceSeconds, then removal. Stopping a missing instance is not an error. */
  stop(instanceId: string, graceSeconds: number): Promise<void>;
  /** Current state of one instance, or null when it no longer exists. */
  inspect(instanceId: string): Promise<Instance | null>;
  /** Instances of one app (or of every app when none is named). */
  list(app?: string): Promise<Instance[]>;
  /** The last lines the instance wrote to stdout and stderr. */
  logs(instanceId: string, lines: number): Promise<string>;
  /** Restarts the process in place (same instance id, same address); used when liveness fails. */
  restart(instanceId: string, graceSeconds: number): Promise<void>;
  /** Memory and CPUs of the host (or cluster) that instances share. */
  capacity(): Promise<HostCapacity>;
}
