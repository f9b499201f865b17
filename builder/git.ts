/** Runs git with argument arrays (never a shell string), for the bare repositories of apps. */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Environment a pre-receive hook sees: git keeps pushed objects in quarantine until the hook accepts. */
export type GitObjectEnv = Readonly<Record<string, string>>;

export const QUARANTINE_VARS = ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'] as const;

export function runGit(args: string[], options: { cwd?: string; env?: GitObjectEnv } = {}): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** The commit's tree as a tar stream (`git archive`). */
export function archive(repoPath: string, commit: string, env: GitObjectEnv): { stream: Readable; done: Promise<void> } {
  const child = spawn('git', ['--git-dir', repoPath, 'archive', '--format=tar', commit], { env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git archive failed: ${stderr.trim()}`))));
  });
  return { stream: child.stdout, done };
}

/** The content of one file of the commit, or null when the commit has no such file. */
export async function readFileAt(repoPath: string, commit: string, file: string, env: GitObjectEnv): Promise<string | null> {
  const result = await runGit(['--git-dir', repoPath, 'cat-file', 'blob', `${commit}:${file}`], { env });
  return result.code === 0 ? result.stdout.toString('utf8') : null;
}

/** Names at the root of the commit's tree. */
export async function rootEntries(repoPath: string, commit: string, env: GitObjectEnv): Promise<string[]> {
  const result = await runGit(['--git-dir', repoPath, 'ls-tree', '--name-only', commit], { env });
  if (result.code !== 0) throw new Error(`git ls-tree failed: ${result.stderr.trim()}`);
  return result.stdout.toString('utf8').split('\n').filter(Boolean);
}
