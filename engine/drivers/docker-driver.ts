/** RuntimeDriver on one Docker host, through dockerode. */
import { demultiplex } from '../../lib/docker-output';
import crypto from 'node:crypto';
import Docker from 'dockerode';
import { DEFAULT_TEAM_ID, instanceAliases } from '../../lib/team-network';
import { pidsLimitFor } from '../pids-limit';
import type { HostCapacity, Instance, InstanceSpec, InstanceState, RuntimeDriver } from '../runtime-driver';
import { ContainerUsers } from './container-user';
import { DockerNetworks } from './docker-networks';
import type { VolumeOwnership } from './docker-volumes';
import { startTenantContainer } from './tenant-container';

export const LABELS = {
  app: 'slipway.app',
  release: 'slipway.release',
  process: 'slipway.process',
  instance: 'slipway.instance',
  /** Which Slipway installation owns the container: several may share one Docker host (tests do). */
  platform: 'slipway.platform',
  /** The team whose network the instance is on. */
  team: 'slipway.team',
} as const;

const LAUNCHER = '/usr/local/bin/slipway-launch';

export class DockerDriver implements RuntimeDriver {
  constructor(
    private readonly docker: Docker,
    private readonly platformId: string,
    /** Host address that app ports are published on; loopback keeps apps reachable only via the router. */
    private readonly publishHost = '127.0.0.1',
    private readonly networks = new DockerNetworks(docker),
    private readonly users = new ContainerUsers(docker),
    /** Makes mounted volumes writable by the instance's user; without it, instances get no mounts. */
    private readonly volumes: VolumeOwnership | null = null,
  ) {}

  async start(spec: InstanceSpec): Promise<Instance> {
    const id = `${spec.app}.${spec.process}.${crypto.randomBytes(4).toString('hex')}`;
    const portKey = `${spec.port}/tcp`;
    const serves = spec.process === 'web';
    const placement = { image: spec.image, teamId: spec.teamId, aliases: instanceAliases(spec.app, spec.process) };
    const mounts = await this.prepareMounts(spec);
    await startTenantContainer(this.docker, this.networks, this.users, placement, (tenant) => ({
      name: `slipway-${id}`,
      // Unprivileged: the image's user unless that is root (engine/drivers/container-user.ts).
      User: tenant.User,
      Image: spec.image,
      ...(spec.command === null ? {} : { Cmd: [LAUNCHER, spec.command] }),
      Env: Object.entries({ ...spec.env, PORT: String(spec.port) }).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [LABELS.app]: spec.app,
        [LABELS.release]: String(spec.release),
        [LABELS.process]: spec.process,
        [LABELS.instance]: id,
        [LABELS.platform]: this.platformId,
        [LABELS.team]: String(spec.teamId ?? DEFAULT_TEAM_ID),
      },
      ExposedPorts: serves ? { [portKey]: {} } : {},
      StopTimeout: 10,
      // On its team's network only, reached there as <app> (web) and <process>.<app> (lib/team-network.ts).
      NetworkingConfig: tenant.NetworkingConfig,
      HostConfig: {
        // The team's network, no capabilities, no-new-privileges (engine/drivers/tenant-container.ts).
        ...tenant.HostConfig,
        // A crashed process comes back by itself; the engine stops instances explicitly.
        RestartPolicy: { Name: 'unless-stopped' },
        // Docker's init (tini, from Debian's docker.io) as PID 1: it passes SIGTERM on to the app,
        // which then gets the default action most apps rely on. As PID 1 itself, a process that
        // sets no handler (Python's http.server, a shell script) ignores SIGTERM and is only
        // stopped by SIGKILL after the whole grace period.
        Init: true,
        PortBindings: serves ? { [portKey]: [{ HostIp: this.publishHost, HostPort: '' }] } : {},
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
        Memory: spec.memoryMb * 1024 * 1024,
        NanoCpus: Math.round(spec.cpu * 1e9),
        // A fork bomb stops at the app's own limit instead of taking the host (engine/pids-limit.ts).
        PidsLimit: pidsLimitFor(spec.memoryMb),
        // The app's volumes (docs/storage.md): named by Slipway, made by the storage service.
        ...(mounts.length === 0 ? {} : { Mounts: mounts }),
      },
    }));
    const instance = await this.inspect(id);
    if (!instance) throw new Error(`instance ${id} disappeared right after starting`);
    return instance;
  }

  /** Docker mounts of the spec's volumes, each made writable by the user the instance runs as. */
  private async prepareMounts(spec: InstanceSpec): Promise<Docker.MountSettings[]> {
    const wanted = spec.mounts ?? [];
    if (wanted.length === 0) return [];
    if (!this.volumes) throw new Error('this driver was made without volume support, and the instance asks for volumes');
    const user = await this.users.userFor(spec.image);
    await Promise.all(wanted.map((m) => this.volumes!.prepare(m.volume, user)));
    return wanted.map((m) => ({ Type: 'volume' as const, Source: m.volume, Target: m.path }));
  }

  async stop(instanceId: string, graceSeconds: number): Promise<void> {
    const container = this.docker.getContainer(`slipway-${instanceId}`);
    try {
      await container.stop({ t: graceSeconds });
    } catch (error) {
      if (!isStatus(error, 304) && !isStatus(error, 404)) throw error;
    }
    try {
      await container.remove({ force: true });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
    }
  }

  async inspect(instanceId: string): Promise<Instance | null> {
    try {
      const info = await this.docker.getContainer(`slipway-${instanceId}`).inspect();
      return instanceFromInspect(info, this.publishHost);
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  async list(app?: string): Promise<Instance[]> {
    const labels = [`${LABELS.platform}=${this.platformId}`, app ? `${LABELS.app}=${app}` : LABELS.app];
    const containers = await this.docker.listContainers({ all: true, filters: { label: labels } });
    const instances = await Promise.all(
      containers.map((c) => this.inspect(c.Labels[LABELS.instance] ?? '')),
    );
    return instances.filter((i): i is Instance => i !== null);
  }

  async restart(instanceId: string, graceSeconds: number): Promise<void> {
    await this.docker.getContainer(`slipway-${instanceId}`).restart({ t: graceSeconds });
  }

  async capacity(): Promise<HostCapacity> {
    const info = (await this.docker.info()) as { MemTotal: number; NCPU: number };
    return { memoryMb: Math.floor(info.MemTotal / 1024 / 1024), cpus: info.NCPU };
  }

  async logs(instanceId: string, lines: number): Promise<string> {
    try {
      const buffer = await this.docker.getContainer(`slipway-${instanceId}`)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false });
      return demultiplex(buffer);
    } catch (error) {
      if (isStatus(error, 404)) return '';
      throw error;
    }
  }
}

function instanceFromInspect(info: Docker.ContainerInspectInfo, publishHost: string): Instance {
  const labels = info.Config.Labels ?? {};
  const bindings = Object.values(info.NetworkSettings.Ports ?? {}).flat().filter(Boolean);
  const hostPort = bindings[0]?.HostPort;
  return {
    id: labels[LABELS.instance] ?? info.Name.replace(/^\/slipway-/, ''),
    app: labels[LABELS.app] ?? '',
    release: Number(labels[LABELS.release] ?? 0),
    process: labels[LABELS.process] ?? '',
    state: stateOf(info.State),
    url: hostPort ? `http://${publishHost}:${hostPort}` : null,
    startedAt: info.State.StartedAt && !info.State.StartedAt.startsWith('0001') ? new Date(info.State.StartedAt) : null,
    restartCount: info.RestartCount ?? 0,
    memoryMb: Math.round((info.HostConfig.Memory ?? 0) / 1024 / 1024),
    cpu: (info.HostConfig.NanoCpus ?? 0) / 1e9,
  };
}

function stateOf(state: Docker.ContainerInspectInfo['State']): InstanceState {
  if (state.Restarting) return 'crashed';
  if (state.Running) return 'running';
  if (state.Status === 'created') return 'starting';
  return state.ExitCode === 0 ? 'exited' : 'crashed';
}

export { demultiplex };

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
