/**
 * AddonServers on one Docker host (dockerode): one container per add-on, from the image of its
 * kind (scripts/build-addon-images), on the team's network under the add-on's name, with its
 * data on a named volume. Docs: docs/addons.md.
 */
import { demultiplex } from '../../lib/docker-output';
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type Docker from 'dockerode';
import { DockerNetworks } from '../drivers/docker-networks';
import { dockerExec, type ExecFn, type ExecResult } from './docker-exec';
import { exited } from './child-streams';
import { noDumpPipes, volumeDumpPipes, type DumpPipes, type OutPipe } from './dump-pipe';
import { TOOL_LABEL, toolContainers } from './tool-containers';
import { compareCounts } from './dump-counts';
import {
  ADDON_PORTS, generateCredentials, isAddonKind, isAddonPlan, validCredentials,
  type AddonCredentials, type AddonEndpoint, type AddonKind, type AddonPlan, type AddonServerInfo,
  type AddonServers, type AddonServerSpec, type AddonServerState, type BackupResult,
  type BackupInput, type BackupOutput, type EnsureProgress, type RemoveOptions, type VerifyResult,
} from './kinds';
import { imageUserIds, type UserIds } from './image-users';
import { PLAN_LIMITS, serverArgs } from './plans';
import { DATA_DIR, INIT_MARKER, serverKinds, type ServerKind } from './server-kinds';

export const ADDON_LABELS = {
  addon: 'slipway.addon',
  kind: 'slipway.addon.kind',
  team: 'slipway.addon.team',
  plan: 'slipway.addon.plan',
  database: 'slipway.addon.database',
  /** A throwaway server that verifies a backup; never an add-on of anyone. */
  scratch: 'slipway.addon.scratch',
  platform: 'slipway.platform',
} as const;

/** An add-on's name as it appears in container, volume and host names. */
const ADDON_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function addonContainerName(addonName: string): string {
  return `slipway-addon-${addonName}`;
}

export function addonVolumeName(addonName: string): string {
  return `slipway-addon-${addonName}-data`;
}

export interface DockerAddonServersOptions {
  /** Which Slipway installation owns the containers (several may share a Docker host). */
  platformId: string;
  /** Image per kind; default `slipway/addon-<kind>:latest`. */
  images?: Partial<Record<AddonKind, string>>;
  /** How long a server may take to answer after starting; default 180 s. */
  readyTimeoutMs?: number;
  /**
   * A scratch server this process is not using is removed once it is this old (default 2 h):
   * another control plane of the installation may be verifying with it meanwhile.
   */
  scratchGraceMs?: number;
  /**
   * Dumps come out through a named pipe in the add-on's volume when the host can reach it (default
   * true; dump-pipe.ts); false keeps them on the exec stream, as with a remote Docker.
   */
  dumpThroughVolume?: boolean;
}

interface Server {
  name: string;
  kind: AddonKind;
  plan: AddonPlan;
  teamId: number | null;
  database: string;
}

export class DockerAddonServers implements AddonServers {
  private readonly kinds: Record<AddonKind, ServerKind>;
  private readonly pipes: DumpPipes;
  private readonly readyTimeoutMs: number;
  /** In this process, one convergence per add-on and one creation per network at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly userIds = new Map<string, Promise<UserIds>>();
  /** The scratch servers of the verifications running in this process. */
  private readonly scratchInUse = new Set<string>();

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerAddonServersOptions,
    private readonly exec: ExecFn = dockerExec(docker),
    private readonly networks: Pick<DockerNetworks, 'ensureTeam'> = new DockerNetworks(docker),
  ) {
    this.pipes = options.dumpThroughVolume === false ? noDumpPipes : volumeDumpPipes(docker, exec);
    const tools = toolContainers(docker, { [ADDON_LABELS.platform]: options.platformId }, DATA_DIR);
    this.kinds = serverKinds(exec, this.pipes, tools);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  }

  imageOf(kind: AddonKind): string {
    return this.options.images?.[kind] ?? `slipway/addon-${kind}:latest`;
  }

  async ensure(spec: AddonServerSpec, onProgress: (progress: EnsureProgress) => void = () => {}): Promise<AddonEndpoint> {
    assertSpec(spec);
    // The one way team networks are made (engine/drivers/docker-networks.ts): its bridge name is
    // what the host firewall (scripts/firewall) recognises.
    const network = await this.networks.ensureTeam(spec.teamId);
    await this.serially(`addon:${spec.addonName}`, () => this.converge({
      name: spec.addonName, kind: spec.kind, plan: spec.plan, teamId: spec.teamId, database: spec.credentials.database,
    }, network, spec.credentials, onProgress));
    return { host: spec.addonName, port: ADDON_PORTS[spec.kind] };
  }

  async status(addonName: string): Promise<AddonServerState> {
    assertName(addonName);
    const info = await this.inspect(addonName);
    if (!info) return 'missing';
    const kind = info.Config.Labels?.[ADDON_LABELS.kind];
    const state = stateOf(info.State);
    return isAddonKind(kind) && info.State.Running ? this.settle(addonName, kind, state) : state;
  }

  /** Docker's first health check comes an interval after the start: meanwhile, ask the server. */
  private async settle(addonName: string, kind: AddonKind, state: AddonServerState): Promise<AddonServerState> {
    if (state !== 'starting') return state;
    return (await this.kinds[kind].ready(addonContainerName(addonName)).catch(() => false)) ? 'running' : state;
  }

  async list(): Promise<AddonServerInfo[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${ADDON_LABELS.platform}=${this.options.platformId}`, ADDON_LABELS.addon] },
    });
    const servers: AddonServerInfo[] = [];
    for (const container of containers) {
      const labels = container.Labels ?? {};
      const kind = labels[ADDON_LABELS.kind];
      const plan = labels[ADDON_LABELS.plan];
      if (labels[ADDON_LABELS.scratch] === 'true' || !isAddonKind(kind) || !isAddonPlan(plan)) continue;
      servers.push({
        addonName: labels[ADDON_LABELS.addon] ?? '',
        kind,
        plan,
        teamId: Number(labels[ADDON_LABELS.team]),
        state: await this.settle(labels[ADDON_LABELS.addon] ?? '', kind, stateOfListed(container.State, container.Status)),
      });
    }
    return servers;
  }

  async remove(addonName: string, options: RemoveOptions): Promise<void> {
    assertName(addonName);
    try {
      await this.docker.getContainer(addonContainerName(addonName)).remove({ force: true });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    if (options.keepVolume) return;
    try {
      await this.docker.getVolume(addonVolumeName(addonName)).remove();
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async rotateCredentials(addonName: string, next: AddonCredentials): Promise<void> {
    const server = await this.running(addonName);
    assertCredentials(next, server.database);
    await this.kinds[server.kind].addCredentials(addonContainerName(addonName), server.database, next);
  }

  async revokeCredentials(addonName: string, old: AddonCredentials): Promise<void> {
    const server = await this.running(addonName);
    assertCredentials(old, server.database);
    await this.kinds[server.kind].revokeCredentials(addonContainerName(addonName), server.database, old);
  }

  async backup(addonName: string, out: BackupOutput): Promise<BackupResult> {
    const server = await this.running(addonName);
    const container = addonContainerName(addonName);
    const started = Date.now();
    const dump = this.kinds[server.kind].dumpCommand(server.database);
    // gzip in a process of its own, on the other core. Through the volume's pipe it reads the
    // dump itself, and it writes the backup's file itself: no byte passes through this process
    // (dump-pipe.ts says why; writing gzip's output through an fs stream cost a 1 GB backup 2 s).
    const file = 'file' in out ? fs.openSync(out.file, 'wx', 0o600) : null;
    let pipe: OutPipe | null;
    let gzip: ChildProcess;
    try {
      pipe = await this.pipes.out(container, dump.user, DATA_DIR);
      gzip = pipe
        ? spawn('sh', ['-c', 'exec gzip -3 -c < "$0"', pipe.hostPath], { stdio: ['ignore', file ?? 'pipe', 'pipe'] })
        : spawn('gzip', ['-3', '-c'], { stdio: ['pipe', file ?? 'pipe', 'pipe'] });
    } finally {
      if (file !== null) fs.closeSync(file); // gzip has its own copy
    }
    const bytes = new ByteCounter();
    const written = 'file' in out
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
        gzip.stdout!.pipe(bytes).pipe(out, { end: false });
        bytes.once('end', resolve);
        bytes.once('error', reject);
      });
    const compressed = Promise.all([written, exited(gzip, 'gzip')]);
    compressed.catch(() => undefined); // looked at below, once the dump ended
    gzip.stdin?.on('error', () => undefined); // a gzip that died says so through its exit
    let dumped: ExecResult | Error;
    try {
      dumped = pipe
        ? await this.exec(container, { user: dump.user, cmd: ['sh', '-c', 'exec "$@" > "$0"', pipe.pathInContainer, ...dump.cmd] })
        : await this.exec(container, { user: dump.user, cmd: dump.cmd, stdout: gzip.stdin! });
    } catch (error) {
      dumped = error instanceof Error ? error : new Error(String(error));
    } finally {
      // gzip sees the dump's end (a pipe nobody opened is opened and closed, to wake it).
      if (pipe) await pipe.release();
      else gzip.stdin!.end();
    }
    // Nothing writes to `out` any more once this settles, whatever failed.
    const gzipFailure = await compressed.then(() => null, (error: unknown) => error);
    if (dumped instanceof Error) throw dumped;
    // The dump tool's own word: a server stopped mid-dump, or a failed tool, never exits with 0.
    if (dumped.exitCode !== 0) throw new Error(`${dump.cmd[0]} failed (exit ${dumped.exitCode}): ${dumped.stderr.trim().slice(-2000)}`);
    if (gzipFailure) throw gzipFailure;
    if ('file' in out) return { bytes: fs.statSync(out.file).size, durationMs: Date.now() - started, format: dump.format };
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return { bytes: bytes.total, durationMs: Date.now() - started, format: dump.format };
  }

  async restore(addonName: string, input: BackupInput): Promise<void> {
    const server = await this.running(addonName);
    await this.kinds[server.kind].restore(addonContainerName(addonName), server.database, input, { count: false });
  }

  async verify(kind: AddonKind, input: BackupInput): Promise<VerifyResult> {
    const started = Date.now();
    const name = `verify-${randomBytes(6).toString('hex')}`;
    const credentials = generateCredentials(name, 'verify');
    const failed = (error: unknown): VerifyResult => ({
      ok: false, expected: null, actual: null, mismatches: [], durationMs: Date.now() - started,
      error: error instanceof Error ? error.message : String(error),
    });
    let result: VerifyResult;
    this.scratchInUse.add(name);
    try {
      // No network at all: the scratch server only ever talks to docker exec.
      await this.converge({ name, kind, plan: 'medium', teamId: null, database: credentials.database }, 'none', credentials, () => {});
      const container = addonContainerName(name);
      // Counted as it loads: what the backup holds, which the scratch server must then hold too.
      const expected = (await this.kinds[kind].restore(container, credentials.database, input, { count: true }))!;
      let actual = await this.kinds[kind].counts(container, credentials.database);
      if (kind === 'redis') {
        // The dump's count covers its first database only (docs/addons.md).
        actual = Object.fromEntries(Object.entries(actual).filter(([db]) => db in expected || Object.keys(expected).length === 0));
      }
      const mismatches = compareCounts(expected, actual, kind === 'redis' ? 'keys' : 'rows');
      result = { ok: mismatches.length === 0, expected, actual, mismatches, durationMs: Date.now() - started };
    } catch (error) {
      result = failed(error);
    }
    // A scratch server left behind would hold a copy of the data: its removal failing is an error.
    try {
      await this.remove(name, { keepVolume: false });
    } finally {
      this.scratchInUse.delete(name);
    }
    return result;
  }

  async removeStaleScratch(): Promise<string[]> {
    await this.removeStaleTools();
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${ADDON_LABELS.platform}=${this.options.platformId}`, `${ADDON_LABELS.scratch}=true`] },
    });
    const oldest = Date.now() - (this.options.scratchGraceMs ?? 2 * 3600_000);
    const removed: string[] = [];
    for (const container of containers) {
      const name = container.Labels?.[ADDON_LABELS.addon] ?? '';
      if (!ADDON_NAME.test(name) || this.scratchInUse.has(name) || container.Created * 1000 > oldest) continue;
      await this.remove(name, { keepVolume: false });
      removed.push(name);
    }
    return removed;
  }

  /** Tool containers (tool-containers.ts) a crash of Slipway left, waiting on a pipe nobody feeds. */
  private async removeStaleTools(): Promise<void> {
    const tools = await this.docker.listContainers({
      all: true,
      filters: { label: [`${ADDON_LABELS.platform}=${this.options.platformId}`, TOOL_LABEL] },
    });
    const oldest = Date.now() - (this.options.scratchGraceMs ?? 2 * 3600_000);
    for (const tool of tools) {
      if (tool.Created * 1000 <= oldest) await this.docker.getContainer(tool.Id).remove({ force: true }).catch(() => undefined);
    }
  }

  /**
   * Runs `task` after every earlier task of `key` in this process. Docker itself does not refuse a
   * second network of the same name, and two creations of one container race to a conflict.
   */
  private async serially<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.queues.set(key, next);
    try {
      return await next;
    } finally {
      if (this.queues.get(key) === next) this.queues.delete(key);
    }
  }

  /** Creates what is missing, starts, waits for the server, and initialises it once. */
  private async converge(
    server: Server, network: string, credentials: AddonCredentials, onProgress: (progress: EnsureProgress) => void,
  ): Promise<void> {
    const kind = this.kinds[server.kind];
    const image = this.imageOf(server.kind);
    const container = addonContainerName(server.name);
    onProgress({ phase: 'image', message: `Using ${image}` });
    let imageId: string;
    try {
      imageId = (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if (isStatus(error, 404)) {
        throw new Error(`The image ${image} is missing: build it with scripts/build-addon-images ${server.kind}.`, { cause: error });
      }
      throw error;
    }
    onProgress({ phase: 'volume', message: `Data volume ${addonVolumeName(server.name)}` });
    await this.docker.createVolume({ Name: addonVolumeName(server.name), Labels: this.labels(server) });
    let info = await this.inspect(server.name);
    if (info) {
      const labels = info.Config.Labels ?? {};
      if (labels[ADDON_LABELS.kind] !== server.kind || labels[ADDON_LABELS.platform] !== this.options.platformId) {
        throw new Error(`A container named ${container} exists and is not this ${server.kind} add-on: remove it or choose another name.`);
      }
    } else {
      onProgress({ phase: 'container', message: `Creating ${container}` });
      try {
        const ids = await this.idsOf(imageId, kind.user);
        await this.docker.createContainer(this.containerConfig(server, network, kind, ids));
      } catch (error) {
        // Another ensure of the same add-on created it meanwhile: converge on that one.
        if (!isStatus(error, 409)) throw error;
      }
      info = await this.inspect(server.name);
      if (!info) throw new Error(`${container} disappeared right after it was created`);
    }
    if (!info.State.Running) {
      onProgress({ phase: 'starting', message: `Starting ${container}` });
      try {
        await this.docker.getContainer(container).start();
      } catch (error) {
        if (!isStatus(error, 304)) throw error;
      }
    }
    await this.waitReady(server.name, kind);
    const initialised = await this.exec(container, { user: kind.user, cmd: ['test', '-e', INIT_MARKER] });
    if (initialised.exitCode !== 0) {
      onProgress({ phase: 'initialising', message: 'Creating the database and its credentials' });
      await kind.initialise(container, server.database, credentials);
      await this.exec(container, { user: kind.user, cmd: ['touch', INIT_MARKER] });
    }
    onProgress({ phase: 'healthy', message: `${server.name} is ready` });
  }

  private idsOf(imageId: string, user: string): Promise<UserIds> {
    const key = `${imageId}:${user}`;
    let ids = this.userIds.get(key);
    if (!ids) {
      ids = imageUserIds(this.docker, imageId, user);
      ids.catch(() => this.userIds.delete(key));
      this.userIds.set(key, ids);
    }
    return ids;
  }

  private containerConfig(server: Server, network: string, kind: ServerKind, ids: UserIds): Docker.ContainerCreateOptions {
    const limits = PLAN_LIMITS[server.plan];
    const scratch = server.teamId === null;
    return {
      name: addonContainerName(server.name),
      Image: this.imageOf(server.kind),
      User: kind.user,
      Cmd: ['/usr/local/bin/slipway-addon-entry', ...serverArgs(server.kind, server.plan)],
      Labels: this.labels(server),
      // PostgreSQL's fast shutdown; on SIGTERM it would wait for every client to leave.
      StopSignal: server.kind === 'postgresql' ? 'SIGINT' : 'SIGTERM',
      StopTimeout: 30,
      Healthcheck: {
        Test: ['CMD', ...kind.healthcheck],
        Interval: 10e9,
        Timeout: 5e9,
        Retries: 3,
        StartPeriod: 120e9,
      },
      HostConfig: {
        NetworkMode: network,
        Mounts: [{ Type: 'volume', Source: addonVolumeName(server.name), Target: DATA_DIR }],
        RestartPolicy: scratch ? { Name: 'no' } : { Name: 'unless-stopped' },
        Memory: limits.memoryMb * 1024 * 1024,
        MemorySwap: limits.memoryMb * 1024 * 1024,
        NanoCpus: Math.round(limits.cpu * 1e9),
        PidsLimit: limits.pids,
        // The servers run as their own unprivileged users and need no capability at all.
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        // The server's sockets and pid file (/run), owned by its user; temporary files (/tmp).
        Tmpfs: {
          '/run': `rw,nosuid,nodev,noexec,uid=${ids.uid},gid=${ids.gid},size=16m`,
          '/tmp': 'rw,nosuid,nodev,mode=1777,size=256m',
        },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
      // The add-on's name is its host name on the team's network; no port is published.
      ...(scratch ? {} : { NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [server.name] } } } }),
    };
  }

  private labels(server: Server): Record<string, string> {
    return {
      [ADDON_LABELS.addon]: server.name,
      [ADDON_LABELS.kind]: server.kind,
      [ADDON_LABELS.plan]: server.plan,
      [ADDON_LABELS.database]: server.database,
      [ADDON_LABELS.platform]: this.options.platformId,
      ...(server.teamId === null ? { [ADDON_LABELS.scratch]: 'true' } : { [ADDON_LABELS.team]: String(server.teamId) }),
    };
  }

  private async waitReady(name: string, kind: ServerKind): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let delay = 100;
    let restarts: number | null = null;
    for (;;) {
      const info = await this.inspect(name);
      if (!info) throw new Error(`${addonContainerName(name)} disappeared while starting`);
      restarts ??= info.RestartCount;
      // A server that exits at start is restarted by Docker: one restart is enough to know.
      if (info.RestartCount > restarts || (!info.State.Running && !info.State.Restarting)) {
        throw new Error(`${addonContainerName(name)} stopped while starting (exit ${info.State.ExitCode}): ${await this.lastLogs(name)}`);
      }
      if (info.State.Running && (await kind.ready(addonContainerName(name)).catch(() => false))) return;
      if (Date.now() > deadline) {
        throw new Error(`${addonContainerName(name)} did not answer within ${Math.round(this.readyTimeoutMs / 1000)} s: ${await this.lastLogs(name)}`);
      }
      // Servers announce readiness only by answering; ask again a little later.
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  private async lastLogs(name: string): Promise<string> {
    const buffer = await this.docker.getContainer(addonContainerName(name)).logs({ stdout: true, stderr: true, tail: 10, follow: false });
    return demultiplex(buffer).trim().split('\n').slice(-10).join(' | ');
  }

  private async running(addonName: string): Promise<Server> {
    assertName(addonName);
    const info = await this.inspect(addonName);
    if (!info) throw new Error(`The add-on server ${addonName} does not exist.`);
    const labels = info.Config.Labels ?? {};
    const kind = labels[ADDON_LABELS.kind];
    const plan = labels[ADDON_LABELS.plan];
    if (!isAddonKind(kind) || !isAddonPlan(plan)) throw new Error(`${addonContainerName(addonName)} is not an add-on server.`);
    if (!info.State.Running) throw new Error(`The add-on server ${addonName} is not running (${stateOf(info.State)}).`);
    const team = labels[ADDON_LABELS.team];
    return { name: addonName, kind, plan, teamId: team === undefined ? null : Number(team), database: labels[ADDON_LABELS.database] ?? '' };
  }

  private async inspect(addonName: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(addonContainerName(addonName)).inspect();
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }
}

function assertName(name: string): void {
  if (!ADDON_NAME.test(name)) throw new Error(`invalid add-on name: ${JSON.stringify(name)}`);
}

function assertCredentials(credentials: AddonCredentials, database: string): void {
  // Checked before they go into SQL or ACL commands (never echoed: they are secrets).
  if (!validCredentials(credentials)) throw new Error('invalid add-on credentials (see validCredentials in engine/addons/kinds.ts)');
  if (credentials.database !== database) throw new Error(`credentials name database ${credentials.database}, the add-on's is ${database}`);
}

function assertSpec(spec: AddonServerSpec): void {
  assertName(spec.addonName);
  if (!isAddonKind(spec.kind)) throw new Error(`unknown add-on kind: ${JSON.stringify(spec.kind)}`);
  if (!isAddonPlan(spec.plan)) throw new Error(`unknown add-on plan: ${JSON.stringify(spec.plan)}`);
  if (!Number.isSafeInteger(spec.teamId) || spec.teamId < 0) throw new Error(`invalid team id: ${spec.teamId}`);
  if (!validCredentials(spec.credentials)) throw new Error('invalid add-on credentials (see validCredentials in engine/addons/kinds.ts)');
}

class ByteCounter extends Transform {
  total = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    callback(null, chunk);
  }
}

function stateOf(state: Docker.ContainerInspectInfo['State']): AddonServerState {
  if (state.Restarting) return 'starting';
  if (!state.Running) return 'stopped';
  const health = (state as { Health?: { Status?: string } }).Health?.Status;
  if (health === 'unhealthy') return 'unhealthy';
  if (health === 'starting') return 'starting';
  return 'running';
}

function stateOfListed(state: string, status: string): AddonServerState {
  if (state === 'restarting') return 'starting';
  if (state !== 'running') return 'stopped';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'running';
}


function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
