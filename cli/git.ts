/**
 * The git operations of `git:remote`. git is always spawned with an argument array, never
 * through a shell, so app and remote names cannot inject anything.
 */
import { execFile } from 'node:child_process';
import { CliError } from './cli-error';

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new CliError('git is not installed (or not on PATH): install git, then run this again.'));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0] ?? '';
}

/** A remote name git accepts and that cannot be mistaken for an option. */
export function remoteNameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name.startsWith('-')) return 'it must not start with a dash';
  if (/[\s\\~^:?*[\x00-\x1f\x7f]/.test(name) || name.includes('..') || name.endsWith('.') || name.endsWith('/')) {
    return 'it contains characters git does not allow in a remote name';
  }
  return null;
}

/** Throws unless `cwd` is inside a git work tree. */
export async function assertGitRepo(cwd: string): Promise<void> {
  const result = await git(['rev-parse', '--is-inside-work-tree'], cwd);
  if (result.code !== 0 || result.stdout.trim() !== 'true') {
    throw new CliError(`${cwd} is not inside a git repository: cd into your app's repository (or run git init) first.`);
  }
}

export type RemoteChange = 'added' | 'updated' | 'unchanged';

/** Adds remote `name` → `url`, or points an existing remote of that name at `url`. */
export async function setRemote(cwd: string, name: string, url: string): Promise<RemoteChange> {
  const problem = remoteNameProblem(name);
  if (problem) throw new CliError(`"${name}" is not a usable git remote name: ${problem}.`);
  const current = await git(['remote', 'get-url', name], cwd);
  if (current.code === 0) {
    if (current.stdout.trim() === url) return 'unchanged';
    const updated = await git(['remote', 'set-url', name, url], cwd);
    if (updated.code !== 0) throw new CliError(`git remote set-url failed: ${firstLine(updated.stderr)}`);
    return 'updated';
  }
  const added = await git(['remote', 'add', name, url], cwd);
  if (added.code !== 0) throw new CliError(`git remote add failed: ${firstLine(added.stderr)}`);
  return 'added';
}

/** The URL of remote `name` of the repository around `cwd`, or null (no repository, no such remote, no git). */
export async function remoteUrl(cwd: string, name: string): Promise<string | null> {
  try {
    const result = await git(['remote', 'get-url', '--', name], cwd);
    return result.code === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : null;
  } catch {
    return null; // git missing: nothing to infer from
  }
}
