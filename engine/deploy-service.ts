/**
 * The deploy workflow, owned here and nowhere else: source → build → release → rollout.
 *
 * A push reaches this service from the builder's transport (the pre-receive hook) with the pushed
 * source; an image deploy with an image the builder imports. The service reads app.json from the
 * source once, parses it once (refusing an invalid one before anything is built), and carries the
 * parsed document through its named steps:
 *
 *   readAppJson (refused before the build; its ignored parts named) → setUp (first deploy: app.json
 *   env, buildpacks) → build (the builder: source → image) → applyFormation (first deploy: app.json's
 *   formation, undeclared types dropped) → release (vN; inside the Deployer's rollout, releasePhase:
 *   Dokku's predeploy, then the Procfile release command) → postdeploy (Heroku's on the first
 *   deploy, Dokku's on each) → summary (the URL, or which processes run when no web does)
 *
 * Exclusion comes from the one lock service (engine/locks.ts, docs/contracts/locks.md): the push
 * transport holds `push`, making the release takes `release`, the rollout `deploy`. Cancellation
 * comes from AppWork: a destroy of the app, or a newer push while this deploy waits on a failing
 * check, aborts the signal every step runs under.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { ignoredAppJsonParts, parseAppJson, type AppJson } from './app-json';
import { parseAppJsonSetup, type AppJsonSetup } from './app-setup';
import { abortReason, type AppWork } from './app-work';
import { deploySummary } from './deploy-summary';
import { runnableTypes, safeAppJson, type DeployRequest, type Progress } from './deployer';
import { postdeployTasks, predeployTasks, runPostdeploy, runPredeploy } from './dokku-scripts';
import type { Actor, App, Build, Release } from './model';
import { NO_PHASES, type DeployRun, type DeployTimeline, type PhaseSink } from './deploy-timeline';
import type { ReleaseService } from './release-service';
import type { AppsRepo } from './store/apps-repo';

/** app.json of one deploy: its text (kept on the build) and what the steps read of it. */
export interface DeployAppJson {
  text: string | null;
  json: AppJson;
  setup: AppJsonSetup;
  /** What it asks for that Slipway does not do, one note each, said at push time. */
  ignored: string[];
}

/** Parses app.json text once for the whole deploy; throws build_failed naming what is wrong (health check bounds too). */
export function readDeployAppJson(text: string | null): DeployAppJson {
  return { text, json: parseAppJson(text), setup: parseAppJsonSetup(text), ignored: ignoredAppJsonParts(text) };
}

/** One pushed commit, as the builder's transport hands it over. */
export interface PushedSource {
  commit: string;
  /** When the pushed objects started arriving; the receive phase starts then (now when absent). */
  receivedAt?: Date;
  /** A file of the commit, or null when it has none. */
  readFile(name: string): Promise<string | null>;
  /** The builder: turns this source into an image and a succeeded build record, or throws build_failed. */
  build(request: { app: App; appJson: string | null; signal: AbortSignal; actor: Actor; phases: PhaseSink }): Promise<Build>;
}

/** The builder's image import (`deploy --image`): an existing image recorded as a build. */
export interface ImageImporter {
  importImage(appName: string, image: unknown, progress: Progress): Promise<{ build: Build; description: string }>;
}

/** app.json's env and buildpacks before an app's first build (engine/app-setup.ts). */
export interface FirstDeploySetup {
  beforeFirstBuild(appName: string, setup: AppJsonSetup, say: (line: string) => void): Promise<App>;
}

/**
 * Before an app's first release (engine/formation-service.ts): app.json's formation, then the types
 * the build does not declare dropped; answers a warning to say for each drop.
 */
export interface FirstFormation {
  prepareFirstRelease(app: App, build: Build, formation: AppJson['formation']): Promise<string[]>;
}

/** Runs a command once in a one-off container of a release (engine/release-phase.ts). */
export interface ReleaseCommands {
  run(app: string, release: Release, build: Build, command: string, output: (text: string) => void, teamId?: number): Promise<number>;
}

/** The release phase's commands (engine/release-phase.ts ReleaseTasks): one-offs and the Procfile `release` command. */
export interface ReleasePhaseCommands extends ReleaseCommands {
  releasePhase(app: string, release: Release, build: Build, progress: Progress, teamId?: number): Promise<void>;
}

/**
 * Step inside release, run by the Deployer under the app's deploy lock before any instance starts
 * (its releasePhase hook, for every deploy of a release): Dokku's `scripts.dokku.predeploy` first
 * (in Dokku it prepares the image's files), then the Procfile `release` command. Either failing
 * stops the deploy. Reads the app.json this deploy parsed; deploys that parsed none (config:set,
 * rollback) read the build's stored one, clamped to the bounds.
 */
export function releasePhaseStep(commands: ReleasePhaseCommands): (request: DeployRequest, progress: Progress) => Promise<void> {
  return async (request, progress) => {
    const { app, release, build, teamId } = request;
    const scripts = (request.appJson ?? safeAppJson(build.appJson)).scripts;
    const predeploy = predeployTasks(scripts);
    const phases = request.phases;
    if (predeploy.length === 0 && !build.processTypes.release) {
      phases?.skip('release-phase');
      return;
    }
    phases?.start('release-phase', build.processTypes.release ?? predeploy.map((t) => t.what).join(', '));
    // Its output is noted: the last lines explain a failing release command on the timeline.
    const noted: Progress = (line) => { phases?.note(line); progress(line); };
    await runPredeploy(predeploy, (command, output) => commands.run(app, release, build, command, output, teamId), noted, release.version);
    await commands.releasePhase(app, release, build, noted, teamId);
    phases?.ok('release-phase');
  };
}

export interface DeployServiceSteps {
  setup: FirstDeploySetup | null;
  formation: FirstFormation;
  commands: ReleaseCommands;
  images: ImageImporter | null;
  /** Records each deploy's phases (engine/deploy-timeline.ts); none when absent. */
  timeline?: DeployTimeline | null;
}

export interface ImageDeployResult {
  build: Build;
  release: Release;
}

export class DeployService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleaseService,
    private readonly work: AppWork,
    private readonly steps: DeployServiceSteps,
    private readonly appUrl: (app: string) => string,
    private readonly logger: Logger,
  ) {}

  /**
   * Deploys a pushed commit; `say` gets the push output one line at a time (the build streams its
   * own). Resolves with the live release; throws (a SlipwayError with what to do) otherwise,
   * and the running release is then unchanged.
   */
  async push(appName: string, source: PushedSource, say: (line: string) => void, actor: Actor = null): Promise<Release> {
    let app = await this.apps.get(appName);
    const push = this.work.beginPush(app.id, app.name);
    // On the timeline before the push's first line is said: the console shows it at once.
    const run = await this.begin({ app, kind: 'push', actor, commit: source.commit, startedAt: source.receivedAt });
    run.start('receive');
    try {
      const signal = push.signal;
      checkpoint(signal); // a push queued behind a destroy of its app goes no further
      // app.json is checked before anything is built or said: bad health check bounds refuse the push at once.
      const appJson = await this.readAppJson(source);
      run.ok('receive');
      say(`-----> Building ${app.name} from ${source.commit.slice(0, 7)} on the Slipway stack`);
      for (const note of appJson.ignored) say(` !     app.json: ${note}`);
      const first = app.currentRelease === null;
      if (first) app = await this.setUp(app, appJson, say);
      checkpoint(signal);
      const build = await source.build({ app, appJson: appJson.text, signal, actor, phases: run });
      checkpoint(signal);
      if (first) await this.applyFormation(app, build, appJson, say);
      say('-----> Launching...');
      const release = await this.release(app, build, appJson, (line) => say(`       ${line}`), signal, () => push.waiting(), actor, run);
      say(`       Released v${release.version}`);
      await this.postdeploy(app, release, build, appJson, first, say);
      await this.summary(app, build, say);
      return release;
    } catch (error) {
      run.failed(error);
      throw error;
    } finally {
      push.done();
      await run.flush();
    }
  }

  private async begin(request: Parameters<DeployTimeline['begin']>[0]): Promise<DeployRun> {
    return this.steps.timeline ? this.steps.timeline.begin(request) : NO_PHASES;
  }

  /** Deploys an existing image: imported by the builder, then released like a push. */
  async deployImage(appName: string, image: unknown, progress?: Progress, actor: Actor = null): Promise<ImageDeployResult> {
    if (!this.steps.images) throw new SlipwayError('invalid_request', 'Image deploys are not available on this installation.');
    const app = await this.apps.get(appName);
    const run = await this.begin({ app, kind: 'image', actor });
    try {
      const { build, description } = await this.steps.images.importImage(app.name, image, (line) => progress?.(line));
      run.attachBuild(build.id);
      const appJson = readDeployAppJson(build.appJson);
      const release = await this.releases.withApp(app.name, (current, signal) =>
        this.releases.deployRelease(current, build, current.config, description, progress, { appJson: appJson.json, signal, actor, run }), app.id);
      return { build, release };
    } catch (error) {
      run.failed(error);
      throw error;
    } finally {
      await run.flush();
    }
  }

  /** A newer push to the app arrived: cancel the running push if it waits on a failing check. */
  async supersede(appName: string): Promise<void> {
    const app = await this.apps.find(appName);
    if (app) this.work.supersede(app.id);
  }

  /** Step: app.json read from the pushed commit and parsed, once; an invalid one (or out of bounds) refuses the push before the build. */
  private async readAppJson(source: PushedSource): Promise<DeployAppJson> {
    return readDeployAppJson(await source.readFile('app.json'));
  }

  /** Step (first deploy): app.json's env and buildpacks; answers the app with its config then. */
  private async setUp(app: App, appJson: DeployAppJson, say: (line: string) => void): Promise<App> {
    if (!this.steps.setup) return app;
    let header = false;
    return this.steps.setup.beforeFirstBuild(app.name, appJson.setup, (line) => {
      if (!header) say('-----> Setting the app up from app.json (first deploy)');
      header = true;
      say(`       ${line}`);
    });
  }

  /** Step (first deploy): app.json's formation and the build's undeclared types dropped, before the first release starts anything. */
  private async applyFormation(app: App, build: Build, appJson: DeployAppJson, say: (line: string) => void): Promise<void> {
    for (const warning of await this.steps.formation.prepareFirstRelease(app, build, appJson.json.formation)) say(` !     ${warning}`);
  }

  /** Step: release vN of the build with the app's config, rolled out under the deploy's signal. */
  private release(app: App, build: Build, appJson: DeployAppJson, progress: Progress, signal: AbortSignal, onWaiting: () => void, actor: Actor, run: DeployRun): Promise<Release> {
    return this.releases.releaseBuild(app, build, progress, { appJson: appJson.json, signal, onWaiting, actor, run });
  }

  /**
   * Step: once the release is live, app.json's scripts.postdeploy (first deploy only) and Dokku's
   * scripts.dokku.postdeploy (every push); one that fails is said, and the release stays live.
   */
  private async postdeploy(
    app: App, release: Release, build: Build, appJson: DeployAppJson, first: boolean, say: (line: string) => void,
  ): Promise<void> {
    const tasks = postdeployTasks(appJson.json.scripts, first);
    if (tasks.length === 0) return;
    await runPostdeploy(tasks, (command, output) => this.steps.commands.run(app.name, release, build, command, output, app.teamId), say);
    this.logger.info({ app: app.name, release: release.version, scripts: tasks.map((t) => t.what) }, 'postdeploy scripts ran');
  }

  /** Step: the push's last lines: the app's URL, or which processes run and that no URL serves them. */
  private async summary(app: App, build: Build, say: (line: string) => void): Promise<void> {
    const formation = await this.apps.formation(app.id);
    for (const line of deploySummary({ app: app.name, url: this.appUrl(app.name), formation, types: runnableTypes(build) })) say(`       ${line}`);
  }
}

/** Between steps: a cancelled deploy goes no further. */
function checkpoint(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}
