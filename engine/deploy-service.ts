/**
 * The deploy workflow, owned here and nowhere else: source → build → release → rollout.
 *
 * A push reaches this service from the builder's transport (the pre-receive hook) with the pushed
 * source; an image deploy with an image the builder imports. The service reads app.json from the
 * source once, parses it once (refusing an invalid one before anything is built), and carries the
 * parsed document through its named steps:
 *
 *   readAppJson → setUp (first deploy: app.json env, buildpacks) → build (the builder: source → image)
 *   → applyFormation (first deploy) → release (vN, rolled out by the Deployer) → postdeploy (first deploy)
 *
 * Exclusion comes from the one lock service (engine/locks.ts, docs/contracts/locks.md): the push
 * transport holds `push`, making the release takes `release`, the rollout `deploy`. Cancellation
 * comes from AppWork: a destroy of the app, or a newer push while this deploy waits on a failing
 * check, aborts the signal every step runs under.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { parseAppJson, type AppJson } from './app-json';
import { parseAppJsonSetup, type AppJsonSetup } from './app-setup';
import { abortReason, type AppWork } from './app-work';
import type { Progress } from './deployer';
import type { App, Build, Release } from './model';
import type { ReleaseService } from './release-service';
import type { AppsRepo } from './store/apps-repo';

/** app.json of one deploy: its text (kept on the build) and what the steps read of it. */
export interface DeployAppJson {
  text: string | null;
  json: AppJson;
  setup: AppJsonSetup;
}

/** Parses app.json text once for the whole deploy; throws build_failed naming what is wrong. */
export function readDeployAppJson(text: string | null): DeployAppJson {
  return { text, json: parseAppJson(text), setup: parseAppJsonSetup(text) };
}

/** One pushed commit, as the builder's transport hands it over. */
export interface PushedSource {
  commit: string;
  /** A file of the commit, or null when it has none. */
  readFile(name: string): Promise<string | null>;
  /** The builder: turns this source into an image and a succeeded build record, or throws build_failed. */
  build(request: { app: App; appJson: string | null; signal: AbortSignal }): Promise<Build>;
}

/** The builder's image import (`deploy --image`): an existing image recorded as a build. */
export interface ImageImporter {
  importImage(appName: string, image: unknown, progress: Progress): Promise<{ build: Build; description: string }>;
}

/** app.json's env and buildpacks before an app's first build (engine/app-setup.ts). */
export interface FirstDeploySetup {
  beforeFirstBuild(appName: string, setup: AppJsonSetup, say: (line: string) => void): Promise<App>;
}

/** app.json's formation, applied before an app's first release (engine/formation-service.ts). */
export interface FirstFormation {
  applyAppJsonFormation(app: App, formation: AppJson['formation']): Promise<void>;
}

/** Runs a command once in a one-off container of a release (engine/release-phase.ts). */
export interface ReleaseCommands {
  run(app: string, release: Release, build: Build, command: string, output: (text: string) => void): Promise<number>;
}

export interface DeployServiceSteps {
  setup: FirstDeploySetup | null;
  formation: FirstFormation;
  commands: ReleaseCommands;
  images: ImageImporter | null;
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
  async push(appName: string, source: PushedSource, say: (line: string) => void): Promise<Release> {
    let app = await this.apps.get(appName);
    const push = this.work.beginPush(app.id, app.name);
    try {
      const signal = push.signal;
      checkpoint(signal); // a push queued behind a destroy of its app goes no further
      say(`-----> Building ${app.name} from ${source.commit.slice(0, 7)} on the Slipway stack`);
      const appJson = await this.readAppJson(source);
      const first = app.currentRelease === null;
      if (first) app = await this.setUp(app, appJson, say);
      checkpoint(signal);
      const build = await source.build({ app, appJson: appJson.text, signal });
      checkpoint(signal);
      if (first) await this.applyFormation(app, appJson);
      say('-----> Launching...');
      const release = await this.release(app, build, appJson, (line) => say(`       ${line}`), signal, () => push.waiting());
      say(`       Released v${release.version}`);
      if (first) await this.postdeploy(app, release, build, appJson, say);
      say(`       ${this.appUrl(app.name)} deployed to Slipway`);
      return release;
    } finally {
      push.done();
    }
  }

  /** Deploys an existing image: imported by the builder, then released like a push. */
  async deployImage(appName: string, image: unknown, progress?: Progress): Promise<ImageDeployResult> {
    if (!this.steps.images) throw new SlipwayError('invalid_request', 'Image deploys are not available on this installation.');
    const app = await this.apps.get(appName);
    const { build, description } = await this.steps.images.importImage(app.name, image, (line) => progress?.(line));
    const appJson = readDeployAppJson(build.appJson);
    const release = await this.releases.withApp(app.name, (current, signal) =>
      this.releases.deployRelease(current, build, current.config, description, progress, { appJson: appJson.json, signal }), app.id);
    return { build, release };
  }

  /** A newer push to the app arrived: cancel the running push if it waits on a failing check. */
  async supersede(appName: string): Promise<void> {
    const app = await this.apps.find(appName);
    if (app) this.work.supersede(app.id);
  }

  /** Step: app.json read from the pushed commit and parsed, once; an invalid one refuses the push before the build. */
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

  /** Step (first deploy): app.json's formation, before the first release starts anything. */
  private async applyFormation(app: App, appJson: DeployAppJson): Promise<void> {
    await this.steps.formation.applyAppJsonFormation(app, appJson.json.formation);
  }

  /** Step: release vN of the build with the app's config, rolled out under the deploy's signal. */
  private release(app: App, build: Build, appJson: DeployAppJson, progress: Progress, signal: AbortSignal, onWaiting: () => void): Promise<Release> {
    return this.releases.releaseBuild(app, build, progress, { appJson: appJson.json, signal, onWaiting });
  }

  /** Step (first deploy): app.json's scripts.postdeploy, once the first release is live. */
  private async postdeploy(app: App, release: Release, build: Build, appJson: DeployAppJson, say: (line: string) => void): Promise<void> {
    const script = appJson.json.scripts.postdeploy;
    if (!script) return;
    say(`-----> Running postdeploy script: ${script}`);
    let partial = '';
    const code = await this.steps.commands.run(app.name, release, build, script, (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) say(`       ${line}`);
    });
    if (code !== 0) say(` !     The postdeploy script exited with code ${code}; the release stays live.`);
    this.logger.info({ app: app.name, release: release.version, code }, 'postdeploy script ran');
  }
}

/** Between steps: a cancelled deploy goes no further. */
function checkpoint(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}
