/**
 * app.json's deploy scripts, planned and run around a release:
 * - Dokku's `scripts.dokku.predeploy`: in the new image, with the release's config, before the
 *   release goes live (before the Procfile `release` command); a non-zero exit stops the deploy,
 *   as the release phase does. Unlike Dokku, files it changes are not kept in the image.
 * - Dokku's `scripts.dokku.postdeploy`: after each release is live.
 * - Heroku's `scripts.postdeploy`: after the app's first release is live, once.
 * A postdeploy script that fails is reported; the release stays live.
 */
import { SlipwayError } from '../lib/errors';
import type { AppJsonScripts } from './app-json';

export interface DeployTask {
  /** How the push names it: "Dokku predeploy script". */
  what: string;
  command: string;
  /** Said after its name: how it differs from where it comes from. */
  note?: string;
}

/** Runs a command in a one-off container of the release (engine/release-phase.ts ReleaseTasks.run); resolves with its exit code. */
export type TaskRunner = (command: string, output: (text: string) => void) => Promise<number>;

/** What runs before the release goes live. Pure. */
export function predeployTasks(scripts: AppJsonScripts): DeployTask[] {
  return scripts.dokkuPredeploy
    ? [{ what: 'Dokku predeploy script', command: scripts.dokkuPredeploy, note: 'run like a release command: unlike Dokku, files it changes are not kept in the image' }]
    : [];
}

/** What runs once the release is live: Heroku's postdeploy on the first deploy, then Dokku's on every deploy. Pure. */
export function postdeployTasks(scripts: AppJsonScripts, first: boolean): DeployTask[] {
  const tasks: DeployTask[] = [];
  if (first && scripts.postdeploy) tasks.push({ what: 'postdeploy script', command: scripts.postdeploy });
  if (scripts.dokkuPostdeploy) tasks.push({ what: 'Dokku postdeploy script', command: scripts.dokkuPostdeploy });
  return tasks;
}

/** Turns streamed text into whole lines, each given to `line` with `prefix`; `flush` gives the rest. */
export function lineWriter(line: (text: string) => void, prefix: string): { write: (text: string) => void; flush: () => void } {
  let partial = '';
  return {
    write(text) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const one of lines) line(`${prefix}${one}`);
    },
    flush() {
      if (partial !== '') line(`${prefix}${partial}`);
      partial = '';
    },
  };
}

/**
 * Runs the tasks before the release goes live, in order; throws deploy_failed at the first that
 * exits non-zero. `progress` is the deploy's (one line per call).
 */
export async function runPredeploy(tasks: readonly DeployTask[], run: TaskRunner, progress: (line: string) => void, version: number): Promise<void> {
  for (const task of tasks) {
    progress(`Running ${task.what}: ${task.command}`);
    if (task.note) progress(`  (${task.note})`);
    const out = lineWriter(progress, '  ');
    const code = await run(task.command, out.write);
    out.flush();
    if (code !== 0) {
      throw new SlipwayError('deploy_failed', `the ${task.what} (${task.command}) exited with code ${code}, so v${version} was not deployed`);
    }
  }
}

/** Runs the tasks after the release is live, in order, each whatever the last one did; says how each failed. */
export async function runPostdeploy(tasks: readonly DeployTask[], run: TaskRunner, say: (line: string) => void): Promise<void> {
  for (const task of tasks) {
    say(`-----> Running ${task.what}: ${task.command}`);
    const out = lineWriter(say, '       ');
    let code: number;
    try {
      code = await run(task.command, out.write);
    } catch (error) {
      // The release is live already: a push must not be reported as rejected for this.
      out.flush();
      say(` !     The ${task.what} could not run (${error instanceof Error ? error.message : String(error)}); the release stays live.`);
      continue;
    }
    out.flush();
    if (code !== 0) say(` !     The ${task.what} exited with code ${code}; the release stays live.`);
  }
}
