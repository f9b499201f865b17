/**
 * One-off processes of an app's current release (`slipway run`, `ssh git@host run`), over any pair
 * of streams: the API's attach protocol and SSH channels both come here. See docs/run.md.
 */
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { DEFAULT_SIZE } from './model';
import {
  isOneOffId, newOneOffId, oneOffEnv, oneOffInstanceId,
  type OneOffInfo, type OneOffRunner, type OneOffSpec, type RunRequest, type TerminalSize,
} from './one-off';
import type { AppsRepo } from './store/apps-repo';
import type { BuildsRepo } from './store/builds-repo';
import type { ReleasesRepo } from './store/releases-repo';

export interface OneOffServiceOptions {
  /** $PORT inside the container, as for every process. */
  containerPort: number;
  /** How long a run prepared by `POST …/dynos` waits for its client to attach. */
  attachTimeoutMs: number;
  /** `addons:connect`: the client of an add-on attached to the app (engine/addons/addons-service.ts). */
  addonClients?: AddonClients;
}

/** The port to the add-ons: the client to run for add-on `addon` through app `app`, or a refusal saying why not. */
export interface AddonClients {
  client(app: string, addon: string): Promise<{ image: string; command: string; env: Record<string, string> }>;
}

/** The client's side of an attached one-off. */
export interface AttachedIo {
  /** What the client types or pipes in; its end is the process's stdin EOF. */
  stdin: Readable;
  stdout: Writable;
  /** Unused with a TTY (the terminal merges both). */
  stderr: Writable;
  /** Registers the listener of the client's window size changes. */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Aborted when the client goes away: the process is killed and removed. */
  signal: AbortSignal;
}

/** A one-off ready to start: what it runs and where, not started yet. */
export interface PreparedRun {
  spec: OneOffSpec;
  info: OneOffInfo;
}

interface Pending {
  run: PreparedRun;
  owner: string;
  timer: NodeJS.Timeout;
}

export class OneOffService {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Map<AbortController, Promise<void>>();

  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly builds: BuildsRepo,
    private readonly runner: OneOffRunner,
    private readonly options: OneOffServiceOptions,
    private readonly logger: Logger,
  ) {}

  /** Resolves what `request` runs: the current release's image and config. Starts nothing. */
  async prepare(appName: string, request: RunRequest): Promise<PreparedRun> {
    const app = await this.apps.get(appName);
    if (app.currentRelease === null) {
      throw new SlipwayError('no_release', `${app.name} has no release yet: deploy first with git push (git push slipway main), then run commands in it.`);
    }
    const release = await this.releases.get(app.id, app.currentRelease);
    const build = release.buildId ? await this.builds.get(release.buildId) : null;
    if (!build?.image) {
      throw new SlipwayError('no_release', `Release v${release.version} of ${app.name} has no image to run: deploy first with git push.`);
    }
    const formation = await this.apps.formation(app.id);
    const web = formation.find((f) => f.type === 'web');
    const limits = web && web.memoryMb > 0 ? { memoryMb: web.memoryMb, cpu: web.cpu } : { ...DEFAULT_SIZE };
    const id = await this.freshId(app.name);
    const spec: OneOffSpec = {
      app: app.name,
      release: release.version,
      id,
      image: build.image,
      command: request.command,
      env: oneOffEnv(release.config, release.version, id, this.options.containerPort, request.tty ? request.term ?? 'xterm' : null),
      tty: request.tty,
      size: request.tty ? request.size : null,
      limits,
      ...(app.teamId === undefined ? {} : { teamId: app.teamId }),
    };
    return { spec, info: { id, app: app.name, release: release.version, command: request.command, state: 'starting', startedAt: null } };
  }

  /**
   * `addons:connect`: a one-off in the add-on's own image (which holds its client) on the app's
   * team network, logged in as the app is, with none of the app's config. Attached only.
   */
  async prepareAddonClient(appName: string, addon: string, request: Omit<RunRequest, 'command'>): Promise<PreparedRun> {
    if (!this.options.addonClients) throw new SlipwayError('invalid_request', 'This Slipway runs no add-ons, so there is nothing to connect to.');
    const app = await this.apps.get(appName);
    const client = await this.options.addonClients.client(app.name, addon);
    const release = app.currentRelease ?? 0;
    const id = await this.freshId(app.name);
    const spec: OneOffSpec = {
      app: app.name,
      release,
      id,
      image: client.image,
      command: client.command,
      // HOME: the clients keep their history there; the image's user may have none.
      env: { ...client.env, HOME: '/tmp', DYNO: id, ...(request.tty ? { TERM: request.term ?? 'xterm' } : {}) },
      tty: request.tty,
      size: request.tty ? request.size : null,
      limits: { ...DEFAULT_SIZE },
      ...(app.teamId === undefined ? {} : { teamId: app.teamId }),
    };
    return { spec, info: { id, app: app.name, release, command: `addons:connect ${addon}`, state: 'starting', startedAt: null } };
  }

  /** Starts a prepared run in the background; its output goes to the container log. */
  async startDetached(run: PreparedRun): Promise<OneOffInfo> {
    const info = await this.runner.detach(run.spec);
    this.logger.info({ app: run.spec.app, oneOff: run.spec.id, release: run.spec.release }, 'detached one-off started');
    return info;
  }

  /** Keeps a prepared run until `owner` attaches to it (claim), or forgets it after the attach timeout. */
  reserve(run: PreparedRun, owner: string): void {
    const key = pendingKey(run.spec.app, run.spec.id);
    const timer = setTimeout(() => this.pending.delete(key), this.options.attachTimeoutMs);
    timer.unref();
    this.pending.set(key, { run, owner, timer });
  }

  /** The reserved run, once: only for the user who prepared it. */
  claim(app: string, id: string, owner: string): PreparedRun | null {
    const key = pendingKey(app, id);
    const entry = this.pending.get(key);
    if (!entry || entry.owner !== owner) return null;
    clearTimeout(entry.timer);
    this.pending.delete(key);
    return entry.run;
  }

  /** Prepares and runs attached in one go (SSH). Resolves with the exit code. */
  async run(appName: string, request: RunRequest, io: AttachedIo): Promise<number> {
    return this.runAttached(await this.prepare(appName, request), io);
  }

  /**
   * Runs attached to `io` until the process ends; resolves with its exit code once all its output
   * has been written to io. The process is killed and removed if io's signal aborts first.
   */
  async runAttached(run: PreparedRun, io: AttachedIo): Promise<number> {
    if (io.signal.aborted) return 130;
    const { spec } = run;
    const local = new AbortController();
    const abort = () => local.abort();
    io.signal.addEventListener('abort', abort, { once: true });
    let settle = () => undefined as void;
    this.running.set(local, new Promise<void>((resolve) => { settle = resolve; }));
    const log = { app: spec.app, oneOff: spec.id, release: spec.release, tty: spec.tty };
    try {
      const child = await this.runner.attach(spec);
      this.logger.info(log, 'one-off started');
      const kill = () => {
        child.kill().catch((error: unknown) => this.logger.warn({ ...log, err: error }, 'could not remove a one-off'));
      };
      if (local.signal.aborted) kill();
      else local.signal.addEventListener('abort', kill, { once: true });

      io.stdin.pipe(child.stdin);
      child.stdout.pipe(io.stdout, { end: false });
      child.stderr.pipe(io.stderr, { end: false });
      io.onResize((size) => {
        child.resize(size).catch((error: unknown) => this.logger.debug({ ...log, err: error }, 'resize failed'));
      });

      const code = await child.exit;
      // Every byte the process wrote has reached io before the exit code is reported.
      await Promise.all([finished(child.stdout), finished(child.stderr)]).catch(() => undefined);
      io.stdin.unpipe(child.stdin);
      local.signal.removeEventListener('abort', kill);
      this.logger.info({ ...log, code, killed: local.signal.aborted }, 'one-off ended');
      return code;
    } finally {
      io.signal.removeEventListener('abort', abort);
      this.running.delete(local);
      settle();
    }
  }

  /** The app's one-off processes that still run (attached or detached). */
  async list(appName: string): Promise<OneOffInfo[]> {
    const app = await this.apps.get(appName);
    return this.runner.list(app.name);
  }

  /** Kills one-off `id` (`run.4821`) of the app and removes it. */
  async stop(appName: string, id: string): Promise<void> {
    const app = await this.apps.get(appName);
    if (!isOneOffId(id) || !(await this.runner.stop(app.name, id))) {
      throw new SlipwayError('not_found', `${app.name} has no one-off process ${id}. Running ones: GET /apps/${app.name}/dynos.`);
    }
  }

  /**
   * Kills every attached one-off (the platform is stopping and their clients will be cut off) and
   * forgets reserved ones; resolves once they are gone. Detached ones keep running.
   */
  async close(): Promise<void> {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    const done = [...this.running.values()];
    for (const controller of this.running.keys()) controller.abort();
    await Promise.all(done);
  }

  private async freshId(app: string): Promise<string> {
    const taken = new Set((await this.runner.list(app)).map((o) => o.id));
    for (;;) {
      const id = newOneOffId();
      if (!taken.has(id) && !this.pending.has(pendingKey(app, id))) return id;
    }
  }
}

function pendingKey(app: string, id: string): string {
  return oneOffInstanceId(app, id);
}
