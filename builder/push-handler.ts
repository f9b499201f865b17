/**
 * The push transport, called from the pre-receive hook while the client waits: it checks the refs
 * and hands the pushed commit to the engine's deploy service (engine/deploy-service.ts), which owns
 * the workflow; output goes back as `remote:` lines. Returning false rejects the push, so the
 * branch ref is not updated and the running release is untouched. The builder's part of a deploy
 * is only turning the source into an image (BuildPipeline), which this handler offers the engine.
 */
import { isSlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { DeployService } from '../engine/deploy-service';
import { actorOf, PLATFORM, type Principal } from '../engine/policy';
import { readFileAt, type GitObjectEnv } from './git';
import type { BuildPipeline } from './pipeline';

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
  /** Who pushed; absent only in tests that push as the platform. */
  principal?: Principal;
  /** When the pushed objects started arriving (the deploy timeline's receive phase). */
  receivedAt?: Date;
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
    private readonly deploys: Pick<DeployService, 'push'>,
    private readonly pipeline: Pick<BuildPipeline, 'run'>,
    private readonly logger: Logger,
  ) {}

  async handle(request: PushRequest): Promise<boolean> {
    const say = (line: string): void => request.output(`${line}\n`);
    const choice = chooseDeployRef(request.refs);
    if (!choice.ok) {
      say(` !     ${choice.reason}`);
      return false;
    }
    const commit = choice.update.newSha;
    const { repoPath, gitEnv, output } = request;
    try {
      await this.deploys.push(request.app, {
        commit,
        ...(request.receivedAt ? { receivedAt: request.receivedAt } : {}),
        readFile: (name) => readFileAt(repoPath, commit, name, gitEnv),
        build: ({ app, appJson, signal, actor, phases }) => this.pipeline.run({ app, repoPath, commit, gitEnv, output, appJson, signal, actor, phases }),
      }, say, actorOf(request.principal ?? PLATFORM));
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
