/**
 * Heroku's release phase and app.json's postdeploy script: a command run once, in a one-off
 * container of the release's image with the release's config, its output streamed to whoever
 * deploys. A release phase that exits non-zero stops the deploy before any instance starts.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Build, Release } from './model';
import { newOneOffId, oneOffEnv, type OneOffRunner } from './one-off';

export type Output = (text: string) => void;

export class ReleaseTasks {
  constructor(
    private readonly runner: OneOffRunner,
    private readonly containerPort: number,
    private readonly logger: Logger,
  ) {}

  /** Runs a command to completion; resolves with its exit code. */
  /** `teamId`: the app's team, whose network the task joins (the release phase reaches its team's add-ons). */
  async run(app: string, release: Release, build: Build, command: string, output: Output, teamId?: number): Promise<number> {
    if (!build.image) throw new SlipwayError('deploy_failed', `build ${build.id} has no image`);
    const id = newOneOffId();
    const attached = await this.runner.attach({
      app, release: release.version, id, image: build.image, command,
      env: oneOffEnv(release.config, release.version, id, this.containerPort, null),
      tty: false, size: null, limits: null,
      ...(teamId === undefined ? {} : { teamId }),
    });
    attached.stdin.end();
    const forward = (chunk: Buffer): void => output(chunk.toString('utf8'));
    attached.stdout.on('data', forward);
    attached.stderr.on('data', forward);
    const code = await attached.exit;
    this.logger.info({ app, release: release.version, command: command.split(' ')[0], code }, 'one-off task finished');
    return code;
  }

  /** The release phase (`release:` in the Procfile), if the build has one; throws deploy_failed when it fails. */
  async releasePhase(app: string, release: Release, build: Build, progress: (line: string) => void, teamId?: number): Promise<void> {
    const command = build.processTypes.release;
    if (!command) return;
    progress(`Running release command: ${command}`);
    const code = await this.run(app, release, build, command, indented(progress), teamId);
    if (code !== 0) {
      throw new SlipwayError('deploy_failed', `the release command (${command}) exited with code ${code}, so v${release.version} was not deployed`);
    }
  }
}

/** Splits streamed text into lines for a line-based progress callback. */
function indented(progress: (line: string) => void): Output {
  let partial = '';
  return (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) progress(`  ${line}`);
  };
}
