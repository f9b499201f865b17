/**
 * Rolls releases out without dropping a request. New instances start beside the old ones, in
 * batches; each must pass its checks before it is published to etcd; old instances are withdrawn
 * from etcd first, drained, then stopped (SIGTERM, SIGKILL after the grace period). A release whose
 * instances fail is never committed: what it started is removed and the app converges back to its
 * current release, with the failing instance's last log lines in the reason.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { abortReason } from './app-work';
import { EMPTY_APP_JSON, parseAppJson, type AppJson } from './app-json';
import { assertCapacity, totalDemand, type CapacityPolicy, type Demand } from './capacity';
import { checkBeforeRouting } from './checks';
import type { LockService } from './locks';
import { linesToRead, startupOutputText } from './startup-output';
import type { Build, FormationEntry, Release } from './model';
import type { RoutePublisher } from './publisher';
import type { Instance, InstanceSpec, RuntimeDriver } from './runtime-driver';
import type { ReleasesRepo } from './store/releases-repo';
import type { PhaseSink } from './deploy-timeline';

export type Progress = (line: string) => void;

export interface DeployerOptions {
  /**
   * SLIPWAY_BOOT_TIMEOUT: the most a new instance may take to pass everything asked of it before
   * it is routed (answering HTTP on $PORT, then app.json's startup and readiness checks), in total.
   */
  bootTimeoutMs: number;
  stopGraceSeconds: number;
  /** Port inside the container that web processes listen on ($PORT). */
  containerPort: number;
  /** Lines of the failing instance's log quoted in the failure reason. */
  logLines: number;
  /** New web instances started at once, beside the old ones. */
  surge: number;
  /** Old web instances that may be stopped before their replacements are ready. */
  maxUnavailable: number;
  /** Time between withdrawing an instance from etcd and stopping it: routers stop sending, in-flight requests finish. */
  drainMs: number;
  capacity: CapacityPolicy;
}

export interface DeployRequest {
  app: string;
  /** The app's team: its instances join that team's network only (docs/security.md). */
  teamId?: number;
  release: Release;
  build: Build;
  formation: readonly FormationEntry[];
  /** app.json of the build, parsed once by the deploy service; read from the build when absent. */
  appJson?: AppJson;
  /** Cancels the deploy (apps:destroy, a newer push): waits end, what it started is removed. */
  signal?: AbortSignal;
  /** Told when a check fails an attempt and the deploy waits to retry it. */
  onWaiting?: () => void;
  /** The deploy's timeline: release phase, start, checks, routed, drained (engine/deploy-timeline.ts). */
  phases?: PhaseSink;
  /** The app's volume mounts (docs/storage.md); read from the Deployer's MountSource when absent. */
  mounts?: readonly AppMount[];
}

/** A volume mounted at a path in every instance of one process type (engine/storage). */
export interface AppMount {
  processType: string;
  path: string;
  volume: string;
}

/** Where the Deployer reads an app's mounts from (the storage service); none when not given. */
export interface MountSource {
  mountsOf(app: string): Promise<readonly AppMount[]>;
}

/** What an instance's checks run under: the deploy's cancellation and its wait hook. */
export interface ReadyControl {
  signal?: AbortSignal;
  onWaiting?: () => void;
  /** Moves the start and checks phases of the deploy's timeline. */
  phases?: PhaseSink;
}

/** Instances that are part of the formation (one-off `run` processes are not). */
export function isFormationInstance(instance: Instance): boolean {
  return instance.process !== 'run' && instance.process !== 'release';
}

export class Deployer {
  constructor(
    private readonly driver: RuntimeDriver,
    private readonly publisher: RoutePublisher,
    private readonly releases: ReleasesRepo,
    private readonly locks: LockService,
    private readonly options: DeployerOptions,
    private readonly logger: Logger,
    /** Called after a failed rollout that had already retired old instances (wired to the reconciler). */
    private readonly afterFailure: (app: string) => void = () => undefined,
    /** Runs the release phase before any instance starts; throws to stop the deploy. */
    private readonly releasePhase: ((request: DeployRequest, progress: Progress) => Promise<void>) | null = null,
    /** The app's volume mounts, given to every instance it starts (docs/storage.md). */
    private readonly mounts: MountSource | null = null,
  ) {}

  /** The mounts instances of `app` get now (the reconciler asks too). */
  async mountsFor(app: string): Promise<readonly AppMount[]> {
    return this.mounts ? this.mounts.mountsOf(app) : [];
  }

  /** Rolls `release` out and makes it the app's current release; throws deploy_failed and changes nothing otherwise. */
  async deploy(request: DeployRequest, progress: Progress): Promise<void> {
    const unlock = await this.locks.acquire(request.app, 'deploy');
    try {
      if (request.signal?.aborted) {
        const reason = abortReason(request.signal);
        await this.releases.markFailed(request.release, reason.message);
        throw reason;
      }
      if (!this.releasePhase) request.phases?.skip('release-phase');
      if (this.releasePhase) {
        try {
          await this.releasePhase(request, progress);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          await this.releases.markFailed(request.release, reason);
          throw new SlipwayError('deploy_failed', reason, { cause: error });
        }
      }
      const { stopping, replacing } = await this.rollOut(request, progress, { commit: true });
      const phases = request.phases;
      if (phases) {
        if (replacing) void stopping.then(() => phases.ok('drained'), (error: unknown) => phases.fail('drained', `stopping old instances failed: ${String(error)}`));
        else phases.skip('drained');
      }
      // The new release serves and the old one is out of the router: the caller may answer now.
      // Draining and stopping the old instances goes on behind, still under the app's lock.
      void stopping.catch((error) => this.logger.warn({ app: request.app, err: String(error) }, 'stopping old instances failed'))
        .finally(unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }

  /** Replaces the running instances of the current release (of one process type, or all), one batch at a time. */
  async restart(request: DeployRequest, progress: Progress, only?: string): Promise<void> {
    const unlock = await this.locks.acquire(request.app, 'deploy');
    try {
      await (await this.rollOut(request, progress, { commit: false, only })).stopping;
    } finally {
      unlock();
    }
  }

  /** Removes every instance and route of an app (apps:destroy, which holds all of the app's locks). */
  async teardown(app: string): Promise<void> {
    await this.publisher.removeApp(app);
    const instances = await this.driver.list(app);
    await Promise.all(instances.map((i) => this.driver.stop(i.id, 0)));
  }

  /** Stops instances gracefully: out of etcd first, a drain, then SIGTERM and SIGKILL after the grace period. */
  async retire(app: string, instances: readonly Instance[]): Promise<void> {
    await this.withdraw(app, instances);
    await this.stopWithdrawn(instances);
  }

  private async withdraw(app: string, instances: readonly Instance[]): Promise<void> {
    await Promise.all(instances.map((i) => this.publisher.withdrawBackend(app, i.id)));
  }

  /** Drains (routers have stopped sending; in-flight requests finish), then SIGTERM, SIGKILL after the grace. */
  private async stopWithdrawn(instances: readonly Instance[]): Promise<void> {
    if (instances.length === 0) return;
    if (instances.some((i) => i.process === 'web')) await new Promise((resolve) => setTimeout(resolve, this.options.drainMs));
    await Promise.all(instances.map((i) => this.driver.stop(i.id, this.options.stopGraceSeconds)));
  }

  /** Refuses a change that needs more than the host has left. */
  async checkCapacity(extra: Demand, change: string, leaving: readonly Instance[] = []): Promise<void> {
    const [host, all] = await Promise.all([this.driver.capacity(), this.driver.list()]);
    const leavingIds = new Set(leaving.map((i) => i.id));
    const committed = totalDemand(all.filter((i) => !leavingIds.has(i.id) && i.state !== 'exited'));
    assertCapacity(host, committed, extra, this.options.capacity, change);
  }

  private async rollOut(request: DeployRequest, progress: Progress, mode: { commit: boolean; only?: string }): Promise<{ stopping: Promise<void>; replacing: boolean }> {
    const { app, release } = request;
    const appJson = request.appJson ?? safeAppJson(request.build.appJson);
    const phases = request.phases;
    const control: ReadyControl = { signal: request.signal, onWaiting: request.onWaiting, ...(phases ? { phases } : {}) };
    const mounts = request.mounts ?? await this.mountsFor(app);
    const specs = instanceSpecs({ ...request, mounts }, this.options.containerPort).filter((s) => !mode.only || s.process === mode.only);
    const previous = (await this.driver.list(app)).filter(isFormationInstance).filter((i) => !mode.only || i.process === mode.only);
    const web = specs.filter((s) => s.process === 'web');
    const others = specs.filter((s) => s.process !== 'web');
    const oldWeb = previous.filter((i) => i.process === 'web');

    const surge = Math.max(1, this.options.surge);
    const peak = [...web.slice(0, surge), ...others];
    const demand = totalDemand(peak);
    if (demand.memoryMb > 0 || demand.cpu > 0) await this.checkCapacity(demand, `v${release.version} (${describeFormation(specs)})`);

    const started: Instance[] = [];
    const retired: Instance[] = [];
    // Old web instances of the last batch: out of the router at once, stopped behind the answer.
    const stoppingBehind: Promise<void>[] = [];
    try {
      while (started.filter((i) => i.process === 'web').length < web.length) {
        const done = started.filter((i) => i.process === 'web').length;
        const batch = web.slice(done, done + surge);
        // Old instances already down but not yet replaced count against maxUnavailable.
        const unavailable = retired.length - done;
        const early = oldWeb.filter((i) => !retired.includes(i)).slice(0, Math.max(0, this.options.maxUnavailable - unavailable));
        throwIfCancelled(request.signal);
        if (early.length > 0) phases?.start('drained');
        await this.retire(app, early);
        retired.push(...early);
        const ready = await this.startReady(batch, appJson, started, progress, control);
        if (ready.length > 0) phases?.start('routed');
        for (const instance of ready) {
          await this.publisher.publishBackend(app, instance.id, { url: instance.url!, release: release.version, process: 'web' });
        }
        const replaced = oldWeb.filter((i) => !retired.includes(i)).slice(0, Math.max(0, ready.length - early.length));
        if (replaced.length > 0) phases?.start('drained');
        await this.withdraw(app, replaced);
        retired.push(...replaced);
        if (started.filter((i) => i.process === 'web').length < web.length) {
          // Their room is what the next batch starts in.
          await this.stopWithdrawn(replaced);
        } else {
          // The capacity check counted them as running throughout: nothing needs their room now.
          stoppingBehind.push(this.stopWithdrawn(replaced).catch((error) => this.logger.warn({ app, err: String(error) }, 'stopping old instances failed')));
        }
      }
      await this.startReady(others, appJson, started, progress, control);
    } catch (error) {
      const reason = error instanceof SlipwayError ? error.message : `could not start the release: ${String(error)}`;
      await Promise.all(started.map((i) => this.publisher.withdrawBackend(app, i.id)));
      await Promise.all(started.map((i) => this.driver.stop(i.id, 0)));
      // Old instances on their way out finish stopping first, so the reconciler sees what is left.
      await Promise.all(stoppingBehind);
      if (mode.commit) await this.releases.markFailed(release, reason);
      this.logger.warn({ app, release: release.version, reason: reason.split('\n', 1)[0] }, 'deploy failed');
      // Old instances retired on the way are brought back by the reconciler, after this deploy's lock.
      if (retired.length > 0) setImmediate(() => this.afterFailure(app));
      throw new SlipwayError('deploy_failed', reason, { cause: error });
    }

    if (mode.commit) await this.releases.markSucceeded(release);
    // Routed: the new release serves (a release without web processes is "routed" once it is current).
    phases?.start('routed');
    phases?.ok('routed');
    if (specs.length === 0) { phases?.skip('start'); phases?.skip('checks'); }
    const leaving = previous.filter((i) => !retired.includes(i));
    if (leaving.length > 0) phases?.start('drained');
    await this.withdraw(app, leaving);
    this.logger.info({ app, release: release.version, instances: started.length, retired: previous.length }, mode.commit ? 'release deployed' : 'instances restarted');
    return { stopping: Promise.all([...stoppingBehind, this.stopWithdrawn(leaving)]).then(() => undefined), replacing: previous.length > 0 };
  }

  /** Starts instances in parallel and waits for their checks; adds them to `started` as soon as they exist. */
  async startReady(specs: readonly InstanceSpec[], appJson: AppJson, started: Instance[], progress: Progress, control: ReadyControl = {}): Promise<Instance[]> {
    if (specs.length === 0) return [];
    const counts = new Map<string, number>();
    for (const spec of specs) counts.set(spec.process, (counts.get(spec.process) ?? 0) + 1);
    progress(`Starting ${[...counts].map(([type, n]) => `${n} ${type}`).join(', ')} of v${specs[0]!.release}`);
    control.phases?.start('start', [...counts].map(([type, n]) => `${type}=${n}`).join(' '));
    const instances = await Promise.all(specs.map(async (spec) => {
      const instance = await this.driver.start(spec);
      started.push(instance);
      return instance;
    }));
    control.phases?.ok('start');
    control.phases?.start('checks');
    await Promise.all(instances.map((instance, i) => this.ensureReady(instance, appJson, control, progress, specs[i]!.env.DYNO)));
    control.phases?.ok('checks');
    return instances;
  }

  /**
   * Waits for the instance's checks, all within SLIPWAY_BOOT_TIMEOUT, saying what they get on
   * `progress` ("web.1: …"); throws deploy_failed with the reason and the app's last output lines,
   * or the cancellation's reason when the deploy was cancelled.
   */
  async ensureReady(
    instance: Instance, appJson: AppJson, control: ReadyControl = {},
    progress: Progress = () => undefined, label: string = instance.process,
  ): Promise<void> {
    const deadline = AbortSignal.timeout(this.options.bootTimeoutMs);
    const signal = control.signal ? AbortSignal.any([control.signal, deadline]) : deadline;
    const checks = appJson.healthchecks[instance.process] ?? [];
    const gated = checks.some((c) => c.type === 'startup' || c.type === 'readiness');
    let ranOut = false;
    const result = await checkBeforeRouting(instance.process, instance.url, checks, this.options.bootTimeoutMs, {
      signal,
      retrying: control.onWaiting,
      stillAlive: async () => {
        if (control.signal?.aborted) return abortReason(control.signal).message;
        // Without app.json checks the boot wait alone runs, bounded by the same limit with its own words.
        if (deadline.aborted && gated) {
          ranOut = true;
          return overTime(this.options.bootTimeoutMs);
        }
        const now = await this.driver.inspect(instance.id);
        if (!now) return `${instance.process} process disappeared while starting`;
        if (now.state === 'crashed' || now.state === 'exited' || now.restartCount > 0) return `${instance.process} process exited while starting`;
        return null;
      },
    }, (line) => progress(`${label}: ${line}`));
    throwIfCancelled(control.signal);
    if (!result.ok) {
      // A check's last attempt cut short by the limit ends without asking stillAlive: say why here.
      const reason = deadline.aborted && !ranOut && gated
        ? `${result.reason} (${overTime(this.options.bootTimeoutMs)})` : result.reason;
      const tail = startupOutputText(await this.driver.logs(instance.id, linesToRead(this.options.logLines)), this.options.logLines);
      throw new SlipwayError('deploy_failed', `${reason}${tail}`);
    }
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** Why checks that ran out of SLIPWAY_BOOT_TIMEOUT stopped, and how to give them longer. */
export function overTime(bootTimeoutMs: number): string {
  const seconds = Number((bootTimeoutMs / 1000).toFixed(1));
  return `the checks did not pass within ${seconds} s, the limit for all of an instance's checks; `
    + `raise SLIPWAY_BOOT_TIMEOUT (now ${seconds}) if it needs longer`;
}

export function safeAppJson(text: string | null): AppJson {
  try {
    return parseAppJson(text, 'clamp');
  } catch {
    return EMPTY_APP_JSON; // the build already refused invalid app.json; old builds have none
  }
}

function describeFormation(specs: readonly InstanceSpec[]): string {
  const counts = new Map<string, number>();
  for (const spec of specs) counts.set(spec.process, (counts.get(spec.process) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}=${n}`).join(' ') || 'no processes';
}

/** Process types a build can run: its declared types, or web alone (the image's CMD) for a Dockerfile app. */
export function runnableTypes(build: Build): Record<string, string | null> {
  const types: Record<string, string | null> = { ...build.processTypes };
  delete types.release; // the release phase runs once per deploy, not as a formation process
  if (Object.keys(build.processTypes).length === 0) types.web = null;
  return types;
}

/** The instances a release needs: formation × process types, each with the release's config and size. */
export function instanceSpecs(request: DeployRequest, containerPort: number): InstanceSpec[] {
  const { app, release, build, formation, teamId, mounts = [] } = request;
  const image = build.image;
  if (!image) throw new SlipwayError('deploy_failed', `build ${build.id} has no image`);
  const types = runnableTypes(build);
  const specs: InstanceSpec[] = [];
  for (const { type, quantity, memoryMb, cpu } of formation) {
    if (!(type in types)) continue;
    const volumes = mounts.filter((m) => m.processType === type).map(({ volume, path }) => ({ volume, path }));
    for (let n = 0; n < quantity; n += 1) {
      specs.push({
        app, release: release.version, process: type, image, command: types[type] ?? null,
        env: { ...release.config, SLIPWAY_RELEASE: `v${release.version}`, DYNO: `${type}.${n + 1}` },
        port: containerPort, memoryMb, cpu,
        ...(teamId === undefined ? {} : { teamId }),
        // Every instance of the type gets the same volumes (docs/storage.md, "More than one instance").
        ...(volumes.length === 0 ? {} : { mounts: volumes }),
      });
    }
  }
  return specs;
}
