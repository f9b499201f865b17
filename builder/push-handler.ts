/**
 * What a push does, called from the pre-receive hook while the client waits: check the refs, build
 * the commit, release it and report, as `remote:` lines. Returning false rejects the push, so the
 * branch ref is not updated and the running release is untouched.
 */
import { isSlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { ignoredAppJsonParts, parseAppJson } from '../engine/app-json';
import { deploySummary } from '../engine/deploy-summary';
import { runnableTypes } from '../engine/deployer';
import type { App, Build, Release } from '../engine/model';
import type { AppsRepo } from '../engine/store/apps-repo';
import type { ReleaseService } from '../engine/release-service';
import { readFileAt, type GitObjectEnv } from './git';
import type { BuildPipeline } from './pipeline';

/** What runs before an app's first build (engine/app-setup.ts AppSetupService). */
export interface FirstBuildSetup {
  /** Applies app.json's env and buildpacks; answers the app as it is then. Throws to refuse the deploy. */
  beforeFirstBuild(app: string, appJsonText: string | null, say: (line: string) => void): Promise<App>;
}

export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
}

export interface PushRequest {
  app: string;
  repoPath: string;
  refs: RefUpdate[];
  gitEnv: GitObjectEnv;
  output: (text: string) => void;
}

const DEPLOY_BRANCHES = new Set(['refs/heads/main', 'refs/heads/master']);
const ZERO = /^0+$/;

/** Which ref to deploy, or why the push is refused. Pure. */
export function chooseDeployRef(refs: readonly RefUpdate[]): { ok: true; update: RefUpdate } | { ok: false; reason: string } {
  const other = refs.find((r) => !DEPLOY_BRANCHES.has(r.ref));
  if (other) {
    const branch = other.ref.replace(/^refs\/heads\//, '');
    return { ok: false, reason: `Pushed to "${branch}", but only main or master deploy. Deploy it with: git push slipway ${branch}:main` };
  }
  const update = refs[0];
  if (!update || refs.length > 1) {
    return { ok: false, reason: 'Push one branch at a time: main or master.' };
  }
  if (ZERO.test(update.newSha)) {
    return { ok: false, reason: 'Deleting the deploy branch is not allowed. Use `slipway apps:destroy` to remove the app.' };
  }
  return { ok: true, update };
}

export function parseRefLines(text: string): RefUpdate[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [oldSha = '', newSha = '', ref = ''] = line.split(/\s+/);
    return { oldSha, newSha, ref };
  });
}

export class PushHandler {
  constructor(
    private readonly apps: AppsRepo,
    private readonly pipeline: BuildPipeline,
    private readonly releases: ReleaseService,
    private readonly appUrl: (app: string) => string,
    private readonly logger: Logger,
    /** Runs before the first release of an app (app.json formation, undeclared types dropped); answers warnings to say. */
    private readonly beforeFirstRelease: (app: App, build: Build) => Promise<string[] | void> = async () => undefined,
    /** Runs after each release of a push is live (app.json scripts.postdeploy on the first, Dokku's postdeploy on each). */
    private readonly afterRelease: (app: App, release: Release, build: Build, first: boolean, say: (line: string) => void) => Promise<void> = async () => undefined,
    /** Before an app's first build: app.json env (required, defaults, secrets) and buildpacks (engine/app-setup.ts). */
    private readonly setup: FirstBuildSetup | null = null,
  ) {}

  async handle(request: PushRequest): Promise<boolean> {
    const say = (line: string): void => request.output(`${line}\n`);
    const choice = chooseDeployRef(request.refs);
    if (!choice.ok) {
      say(` !     ${choice.reason}`);
      return false;
    }
    const commit = choice.update.newSha;
    try {
      let app = await this.apps.get(request.app);
      // app.json is checked before anything is built: bad health check bounds refuse the push at once.
      const appJson = await readFileAt(request.repoPath, commit, 'app.json', request.gitEnv);
      parseAppJson(appJson);
      say(`-----> Building ${app.name} from ${commit.slice(0, 7)} on the Slipway stack`);
      for (const note of ignoredAppJsonParts(appJson)) say(` !     app.json: ${note}`);
      if (app.currentRelease === null && this.setup) {
        let header = false;
        app = await this.setup.beforeFirstBuild(app.name, appJson, (line) => {
          if (!header) say('-----> Setting the app up from app.json (first deploy)');
          header = true;
          say(`       ${line}`);
        });
      }
      const build = await this.pipeline.run({ app, repoPath: request.repoPath, commit, gitEnv: request.gitEnv, output: request.output });
      if (app.currentRelease === null) {
        for (const warning of (await this.beforeFirstRelease(app, build)) ?? []) say(` !     ${warning}`);
      }
      say('-----> Launching...');
      const first = app.currentRelease === null;
      const release = await this.releases.releaseBuild(app, build, (line) => say(`       ${line}`));
      say(`       Released v${release.version}`);
      await this.afterRelease(app, release, build, first, say);
      const formation = await this.apps.formation(app.id);
      for (const line of deploySummary({ app: app.name, url: this.appUrl(app.name), formation, types: runnableTypes(build) })) say(`       ${line}`);
      return true;
    } catch (error) {
      const message = isSlipwayError(error) ? error.message : 'internal error, see the platform log';
      if (!isSlipwayError(error)) this.logger.error({ app: request.app, err: error }, 'push failed');
      say('');
      for (const line of message.split('\n')) say(` !     ${line}`);
      say(' !     Push rejected: the running release is unchanged.');
      return false;
    }
  }
}
