/** OneOffRunner on one Docker host, through dockerode (docs/run.md). */
import { PassThrough, Writable, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import { SlipwayError } from '../../lib/errors';
import { pidsLimitFor } from '../pids-limit';
import { ContainerUsers } from './container-user';
import { DockerNetworks } from './docker-networks';
import { tenantSettings, type TenantSettings } from './tenant-container';
import {
  ONE_OFF_LABELS, ONE_OFF_PROCESS, oneOffContainerName, oneOffEntrypoint, oneOffInstanceId,
  type AttachedOneOff, type OneOffInfo, type OneOffRunner, type OneOffSpec, type TerminalSize,
} from '../one-off';

export class DockerOneOff implements OneOffRunner {
  constructor(
    private readonly docker: Docker,
    /** The installation's id (platform/platform.ts platformId), labelled and filtered on like DockerDriver does. */
    private readonly platformId: string | null = null,
    private readonly networks = new DockerNetworks(docker),
    private readonly users = new ContainerUsers(docker),
  ) {}

  async attach(spec: OneOffSpec): Promise<AttachedOneOff> {
    const container = await this.create(spec, true);
    let stream: Duplex;
    let exited: Promise<{ StatusCode?: number }>;
    try {
      stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }) as Duplex;
      // Asked before start: with AutoRemove, a quick process is gone before a later wait could see it.
      exited = container.wait({ condition: 'removed' }) as Promise<{ StatusCode?: number }>;
      exited.catch(() => undefined);
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw startError(error);
    }
    // Best effort: the process waits for a size (WAIT_FOR_TTY_SIZE), but runs without one too.
    if (spec.tty && spec.size) await resizeContainer(container, spec.size).catch(() => undefined);

    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const outputDone = new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        stdout.end();
        stderr.end();
        resolve();
      };
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
    });
    if (spec.tty) stream.pipe(stdout, { end: false });
    else stream.pipe(new DockerDemux(stdout, stderr), { end: false });

    const stdin = new PassThrough();
    stdin.pipe(stream, { end: false });
    // The end of stdin half-closes the attach connection: Docker then closes the process's stdin.
    stdin.on('end', () => { if (!stream.destroyed) stream.end(); });
    stream.on('error', () => undefined);

    let killed = false;
    const exit = (async () => {
      let code: number;
      try {
        code = Number((await exited).StatusCode ?? 1);
      } catch (error) {
        if (!killed) throw error;
        code = 137;
      }
      await outputDone;
      if (!stream.destroyed) stream.destroy();
      return code;
    })();
    exit.catch(() => undefined);

    return {
      id: spec.id,
      stdin,
      stdout,
      stderr,
      exit,
      resize: async (size) => {
        if (spec.tty) await resizeContainer(container, size);
      },
      kill: async () => {
        killed = true;
        await container.remove({ force: true }).catch((error: unknown) => {
          if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
        });
        if (!stream.destroyed) stream.destroy();
      },
    };
  }

  async detach(spec: OneOffSpec): Promise<OneOffInfo> {
    const container = await this.create({ ...spec, tty: false, size: null }, false);
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw startError(error);
    }
    return { id: spec.id, app: spec.app, release: spec.release, command: spec.command, state: 'running', startedAt: new Date() };
  }

  async list(app: string): Promise<OneOffInfo[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [
        `${ONE_OFF_LABELS.app}=${app}`, `${ONE_OFF_LABELS.process}=${ONE_OFF_PROCESS}`, ONE_OFF_LABELS.oneOff,
        ...(this.platformId === null ? [] : [`${ONE_OFF_LABELS.platform}=${this.platformId}`]),
      ] },
    });
    return containers
      .map((c): OneOffInfo => ({
        id: c.Labels[ONE_OFF_LABELS.oneOff] ?? '',
        app,
        release: Number(c.Labels[ONE_OFF_LABELS.release] ?? 0),
        command: c.Labels[ONE_OFF_LABELS.command] ?? '',
        state: c.State === 'running' ? 'running' : c.State === 'created' ? 'starting' : 'exited',
        startedAt: new Date(c.Created * 1000),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async stop(app: string, id: string): Promise<boolean> {
    try {
      await this.docker.getContainer(oneOffContainerName(app, id)).remove({ force: true });
      return true;
    } catch (error) {
      // 409: AutoRemove is already removing it.
      if (isStatus(error, 409)) return true;
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  private async create(spec: OneOffSpec, attach: boolean): Promise<Docker.Container> {
    const { entrypoint, cmd } = oneOffEntrypoint(spec.command, spec.tty && spec.size !== null);
    // As an app instance (docker-driver.ts): the team's network (no alias: nothing calls a one-off),
    // an unprivileged user, no capabilities, no-new-privileges.
    const options = (tenant: TenantSettings): Docker.ContainerCreateOptions => ({
      name: oneOffContainerName(spec.app, spec.id),
      User: tenant.User,
      NetworkingConfig: tenant.NetworkingConfig,
      Image: spec.image,
      Entrypoint: entrypoint,
      Cmd: cmd,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [ONE_OFF_LABELS.app]: spec.app,
        [ONE_OFF_LABELS.release]: String(spec.release),
        [ONE_OFF_LABELS.process]: ONE_OFF_PROCESS,
        [ONE_OFF_LABELS.instance]: oneOffInstanceId(spec.app, spec.id),
        [ONE_OFF_LABELS.oneOff]: spec.id,
        [ONE_OFF_LABELS.command]: spec.command.slice(0, 1000),
        ...(this.platformId === null ? {} : { [ONE_OFF_LABELS.platform]: this.platformId }),
      },
      Tty: spec.tty,
      OpenStdin: attach,
      StdinOnce: attach,
      AttachStdin: attach,
      AttachStdout: attach,
      AttachStderr: attach,
      HostConfig: {
        ...tenant.HostConfig,
        AutoRemove: true,
        RestartPolicy: { Name: 'no' },
        // tini as PID 1 passes signals on (see docker-driver.ts), so a stopped one-off stops.
        Init: true,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
        ...(spec.limits ? { Memory: Math.round(spec.limits.memoryMb * 1024 * 1024), NanoCpus: Math.round(spec.limits.cpu * 1e9) } : {}),
        // Bounded even without a size: a fork bomb in `slipway run` must not take the host.
        PidsLimit: pidsLimitFor(spec.limits?.memoryMb ?? 0),
        ...(spec.tty && spec.size ? { ConsoleSize: [spec.size.rows, spec.size.cols] } : {}),
      },
    });
    const placement = { image: spec.image, teamId: spec.teamId, aliases: [] };
    try {
      return await this.docker.createContainer(options(await tenantSettings(this.networks, this.users, placement)));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    // The image is not on this host (pruned, or another host built it): fetch it from the registry.
    await this.pull(spec.image);
    return this.docker.createContainer(options(await tenantSettings(this.networks, this.users, placement)));
  }

  private async pull(image: string): Promise<void> {
    try {
      const stream = await this.docker.pull(image) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
      });
    } catch (error) {
      throw new SlipwayError('internal', `The release image ${image} is neither on the Docker host nor pullable: ${messageOf(error)}`, { cause: error });
    }
  }
}

/**
 * Splits Docker's multiplexed attach stream (frames of [type:1][0:3][size:4 BE][payload], type 1
 * stdout, 2 stderr) into two streams, holding the source back while either is full.
 */
export class DockerDemux extends Writable {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly stdout: Writable, private readonly stderr: Writable) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let full: Writable | null = null;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const target = this.pending[0] === 2 ? this.stderr : this.stdout;
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      if (payload.length > 0 && !target.write(payload)) full = target;
    }
    if (full) full.once('drain', () => callback());
    else callback();
  }
}

async function resizeContainer(container: Docker.Container, size: TerminalSize): Promise<void> {
  try {
    await container.resize({ h: size.rows, w: size.cols });
  } catch (error) {
    // The process may have ended already, or not have a TTY any more: nothing to resize.
    if (!isStatus(error, 404) && !isStatus(error, 409) && !isStatus(error, 500)) throw error;
  }
}

function startError(error: unknown): Error {
  const message = messageOf(error);
  if (/no such file or directory|executable file not found/i.test(message)) {
    return new SlipwayError('invalid_request', `The release image has no /bin/sh to run the command with (${message.trim()}).`, { cause: error });
  }
  return error instanceof Error ? error : new Error(message);
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
