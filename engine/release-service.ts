/**
 * Releases vN: made from a finished build (a push), from a config change or from a rollback, and
 * rolled out by the Deployer. One app's releases are made one at a time (see `exclusive`).
 *
 * The app's config and its live release change together: ReleasesRepo.markSucceeded makes the
 * release current and its config snapshot the app's config in one transaction. A release whose
 * deploy fails is marked failed and changes neither, so a failed config change or rollback leaves
 * the app's config as it was.
 */
import { isSlipwayError, SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { AppJson } from './app-json';
import { AppWork } from './app-work';
import { configKeys, previousGoodRelease, rollbackDescription, rollbackRefusal } from './config-vars';
import type { Deployer, Progress } from './deployer';
import { InProcessLocks, type LockService } from './locks';
import { deployDescription, type Actor, type App, type Build, type ConfigVars, type Release } from './model';
import type { AppsRepo } from './store/apps-repo';
import type { BuildsRepo } from './store/builds-repo';
import type { ReleasesRepo } from './store/releases-repo';
import { NO_PHASES, type DeployKind, type DeployRun, type DeployTimeline } from './deploy-timeline';

/** The part of the Deployer this service uses (tests give a fake that records and marks releases). */
export type ReleaseDeployer = Pick<Deployer, 'deploy'>;

/** A release with what `releases:info` shows: its build and the names (never the values) of its config. */
export interface ReleaseDetails {
  app: App;
  release: Release;
  build: Build | null;
  configKeys: string[];
}

/** The release an app runs now and its build, when both can be released again. */
export interface CurrentBuild {
  release: Release;
  build: Build;
}

/** How a release's deploy runs: the parsed app.json of its build, cancellation, the wait hook. */
export interface ReleaseOptions {
  /** Who caused the release (recorded with it); absent or null: the platform. */
  actor?: Actor;
  appJson?: AppJson;
  signal?: AbortSignal;
  onWaiting?: () => void;
  /** The deploy's timeline when the caller began it (a push, an image deploy); otherwise one is begun here. */
  run?: DeployRun;
  /** What a deploy begun here is (default: a config change). */
  kind?: DeployKind;
}

/** Highest number of releases looked at when choosing a rollback target. */
const HISTORY_LIMIT = 10_000;

export class ReleaseService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly builds: BuildsRepo,
    private readonly deployer: ReleaseDeployer,
    private readonly logger: Logger,
    /** The control plane's lock service (scope `release`); its own when not given (tests). */
    private readonly locks: LockService = new InProcessLocks(),
    private readonly work: AppWork = new AppWork(),
    /** The app's log stream (engine/logs): releases and their outcome appear as `slipway[api]` lines. */
    private readonly events: { emit(app: string, text: string, process?: string): void } | null = null,
    /** Records each release's deploy phases (engine/deploy-timeline.ts). */
    private readonly timeline: DeployTimeline | null = null,
  ) {}

  /**
   * Runs `task` with the app as it is now, while no other release of it is being made (push,
   * config change, rollback). The app is named before waiting and checked again after: work queued
   * behind a destroy fails with app_not_found instead of acting on a new app of the same name, and
   * work of an app being destroyed is refused with the cancellation's reason.
   */
  async withApp<T>(appName: string, task: (app: App, signal: AbortSignal) => Promise<T>, expectedId?: number): Promise<T> {
    const before = await this.apps.get(appName);
    const id = expectedId ?? before.id;
    const signal = this.work.signalFor(id);
    const unlock = await this.locks.acquire(appName, 'release');
    try {
      const app = await this.apps.find(appName);
      if (!app || app.id !== id) {
        throw new SlipwayError('app_not_found', `${appName} was destroyed while this change waited, so nothing was changed.`);
      }
      // The app's own signal aborts only when it is destroyed.
      if (signal.aborted) throw new SlipwayError('app_not_found', `${appName} is being destroyed, so nothing was changed.`);
      return await task(app, signal);
    } finally {
      unlock();
    }
  }

  /** `withApp` for callers that read the app themselves. */
  exclusive<T>(appName: string, task: () => Promise<T>): Promise<T> {
    return this.withApp(appName, () => task());
  }

  /** Creates release vN (the build + a snapshot of the app's config) and deploys it. Throws deploy_failed. */
  async releaseBuild(app: App, build: Build, progress: Progress, options: ReleaseOptions = {}): Promise<Release> {
    return this.withApp(app.name, async (current, signal) => this.deployRelease(current, build, current.config, deployDescription(build.commit),
      progress, { ...options, signal: options.signal ?? signal }), app.id);
  }

  /**
   * Creates release vN of `build` with `config` and deploys it; on success the app's config is
   * `config`. Call it inside `exclusive`. Throws deploy_failed (the release is then marked failed).
   */
  async deployRelease(app: App, build: Build, config: ConfigVars, description: string, progress?: Progress, options: ReleaseOptions = {}): Promise<Release> {
    const run = options.run ?? (this.timeline ? await this.timeline.begin({ app, kind: options.kind ?? 'config', actor: options.actor ?? null }) : NO_PHASES);
    if (!options.run) run.attachBuild(build.id);
    let release: Release;
    try {
      release = await this.releases.create({ appId: app.id, buildId: build.id, config, description, actor: options.actor ?? null });
    } catch (error) {
      if (!options.run) run.failed(error);
      throw error;
    }
    run.attachRelease(release.version);
    this.logger.info({ app: app.name, release: release.version, build: build.id, configKeys: configKeys(config), description },
      'release created');
    this.events?.emit(app.name, `Release v${release.version} created by ${options.actor?.name ?? 'Slipway'}: ${description}`);
    const formation = await this.apps.formation(app.id);
    try {
      await this.deployer.deploy({
        app: app.name, teamId: app.teamId, release, build, formation,
        appJson: options.appJson, signal: options.signal ?? this.work.signalFor(app.id), onWaiting: options.onWaiting, phases: run,
      }, progress ?? this.progressLog(app.name));
    } catch (error) {
      run.failed(error);
      if (!options.run) await run.flush();
      await this.failIfPending(app.name, release, error);
      this.events?.emit(app.name, `Release v${release.version} failed: ${isSlipwayError(error) ? error.message.split('\n')[0] : 'internal error'}`);
      throw error;
    }
    run.succeed();
    if (!options.run) await run.flush();
    this.events?.emit(app.name, `Deployed v${release.version}`);
    return { ...release, status: 'succeeded' };
  }

  /** A deploy refused before it started (e.g. capacity) leaves vN pending: record it as failed, not in progress. */
  private async failIfPending(app: string, release: Release, error: unknown): Promise<void> {
    const now = await this.releases.get(release.appId, release.version).catch(() => null);
    if (now?.status !== 'pending') return;
    const reason = isSlipwayError(error) ? error.message : 'the deploy stopped on an internal error (see the platform log)';
    await this.releases.markFailed(release, reason);
    if (!isSlipwayError(error)) this.logger.error({ app, release: release.version, err: error }, 'deploy error');
  }

  /** The app's current release and its build, or null when it has none that can run (never deployed). */
  async currentBuild(app: App): Promise<CurrentBuild | null> {
    if (app.currentRelease === null) return null;
    const release = await this.releases.get(app.id, app.currentRelease);
    const build = release.buildId === null ? null : await this.builds.get(release.buildId);
    return build && runnable(build) ? { release, build } : null;
  }

  /**
   * Release vN+1 with vN's build and config, deployed; the app's config becomes vN's. Without a
   * version: the newest succeeded release before the current one. Refuses failed releases and
   * releases without a build.
   */
  async rollback(appName: string, version: number | null, progress?: Progress, actor: Actor = null): Promise<Release> {
    return this.withApp(appName, async (app) => {
      const target = await this.rollbackTarget(app, version);
      const build = target.buildId === null ? null : await this.builds.get(target.buildId);
      if (!build || !runnable(build)) {
        throw new SlipwayError('invalid_request', `v${target.version}'s build is not available any more, so it cannot be rolled back to.`);
      }
      try {
        return await this.deployRelease(app, build, target.config, rollbackDescription(target.version), progress, { actor, kind: 'rollback' });
      } catch (error) {
        throw failedChange(error, `Rollback to v${target.version} failed`, app);
      }
    });
  }

  async info(appName: string, version: number): Promise<ReleaseDetails> {
    const app = await this.apps.get(appName);
    const release = await this.releases.get(app.id, version);
    const build = release.buildId === null ? null : await this.builds.get(release.buildId);
    return { app, release, build, configKeys: configKeys(release.config) };
  }

  list(app: App): Promise<Release[]> {
    return this.releases.list(app.id);
  }

  private async rollbackTarget(app: App, version: number | null): Promise<Release> {
    if (version !== null) {
      const release = await this.releases.get(app.id, version);
      const refusal = rollbackRefusal(release);
      if (refusal) throw new SlipwayError('invalid_request', refusal);
      return release;
    }
    if (app.currentRelease === null) {
      throw new SlipwayError('invalid_request', `${app.name} has no release to roll back from: deploy it first with git push.`);
    }
    const previous = previousGoodRelease(await this.releases.list(app.id, HISTORY_LIMIT), app.currentRelease);
    if (!previous) {
      throw new SlipwayError('invalid_request',
        `${app.name} has no succeeded release before v${app.currentRelease} to roll back to. Run \`slipway releases ${app.name}\` to see them.`);
    }
    return previous;
  }

  private progressLog(app: string): Progress {
    return (line) => this.logger.debug({ app, line }, 'deploy progress');
  }
}

function runnable(build: Build): boolean {
  return build.status === 'succeeded' && build.image !== null;
}

/**
 * A failed deploy of a config change or rollback, said so: the failed release stays in the
 * history, the app's config and its running release are unchanged.
 */
export function failedChange(error: unknown, what: string, app: App): unknown {
  if (!isSlipwayError(error) || error.code !== 'deploy_failed') return error;
  const running = app.currentRelease === null ? 'nothing was running' : `v${app.currentRelease} keeps serving`;
  return new SlipwayError('deploy_failed',
    `${what}: the new release did not start, so nothing was changed (the config is as it was and ${running}). ${error.message}`,
    { cause: error });
}
