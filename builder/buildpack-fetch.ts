/**
 * Turns buildpack references into directories on the Slipway host, to be mounted read-only into
 * the build container: built-ins and host directories as they are; git URLs cloned (argument
 * arrays, `--` before the URL, no ext:: or file:// transport) and tarballs downloaded and unpacked
 * into a per-build work directory that the build removes when it ends.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { SlipwayError } from '../lib/errors';
import { displayBuildpack, type BuildpackRef } from '../engine/buildpacks';
import { isBuildpackDir } from './builtin-buildpacks';

export interface FetchedBuildpack {
  /** As shown in build output (passwords masked). */
  label: string;
  /** The directory holding bin/detect, bin/compile (and bin/release). */
  hostDir: string;
}

export interface FetchOptions {
  buildpacksDir: string;
  /** Folder for per-build work directories (under the state dir). */
  workRoot: string;
  /** Largest tarball accepted, in bytes. */
  maxTarballBytes?: number;
}

const DEFAULT_MAX_TARBALL = 200 * 1024 * 1024;

function failed(message: string): SlipwayError {
  return new SlipwayError('build_failed', message);
}

export class BuildpackFetcher {
  constructor(private readonly options: FetchOptions) {}

  /** A work directory for one build's downloads; `remove()` it when the build ends. */
  workDir(buildId: string): { dir: string; remove(): Promise<void> } {
    const dir = path.join(this.options.workRoot, `buildpacks-${buildId}`);
    return { dir, remove: () => fs.promises.rm(dir, { recursive: true, force: true }) };
  }

  async fetch(ref: BuildpackRef, index: number, workDir: string, signal: AbortSignal, say: (line: string) => void): Promise<FetchedBuildpack> {
    const label = ref.kind === 'builtin' ? ref.name : displayBuildpack(ref.raw);
    switch (ref.kind) {
      case 'builtin': {
        const dir = path.join(this.options.buildpacksDir, ref.name);
        if (!isBuildpackDir(dir)) {
          const available = fs.existsSync(this.options.buildpacksDir)
            ? fs.readdirSync(this.options.buildpacksDir).filter((n) => isBuildpackDir(path.join(this.options.buildpacksDir, n))).sort()
            : [];
          throw failed(`There is no built-in buildpack "${ref.name}". Built-in: ${available.join(', ') || 'none'}.`);
        }
        return { label, hostDir: dir };
      }
      case 'path': {
        const dir = await fs.promises.realpath(ref.path).catch(() => null);
        if (dir === null || !isBuildpackDir(dir)) {
          throw failed(`The buildpack directory ${ref.path} does not exist on the Slipway host or lacks an executable bin/detect and bin/compile.`);
        }
        return { label, hostDir: dir };
      }
      case 'git': {
        const dir = path.join(workDir, String(index + 1).padStart(2, '0'));
        say(`-----> Fetching buildpack ${label}`);
        await cloneGit(ref.url, ref.ref, dir, signal);
        await makeReadable(dir);
        if (!isBuildpackDir(dir)) throw failed(`The repository ${label} is not a buildpack: it has no executable bin/detect and bin/compile at its root.`);
        return { label, hostDir: dir };
      }
      case 'tarball': {
        const dir = path.join(workDir, String(index + 1).padStart(2, '0'));
        say(`-----> Fetching buildpack ${label}`);
        const root = await downloadTarball(ref.url, dir, signal, this.options.maxTarballBytes ?? DEFAULT_MAX_TARBALL);
        await makeReadable(dir);
        if (!isBuildpackDir(root)) throw failed(`The tarball ${label} is not a buildpack: it has no executable bin/detect and bin/compile.`);
        return { label, hostDir: root };
      }
    }
  }
}

interface Run { code: number; output: string }

function git(args: string[], signal: AbortSignal, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'protocol.ext.allow=never', '-c', 'protocol.file.allow=never', ...args], {
      cwd,
      signal,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    child.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop()?.replace(/^fatal:\s*/, '') ?? 'no output';
}

/**
 * Clones `url` at `ref` (branch, tag or commit; default branch without) into `dir`, shallow when
 * the server allows it, then drops .git.
 */
export async function cloneGit(url: string, ref: string | null, dir: string, signal: AbortSignal): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true });
  await fs.promises.mkdir(path.dirname(dir), { recursive: true });
  const shallow = await git(['clone', '--quiet', '--depth', '1', ...(ref ? ['--branch', ref] : []), '--', url, dir], signal);
  if (shallow.code !== 0) {
    // A commit id (not a branch or tag), or a server without shallow clones: a full clone, then the ref.
    await fs.promises.rm(dir, { recursive: true, force: true });
    const full = await git(['clone', '--quiet', '--no-checkout', '--', url, dir], signal);
    if (full.code !== 0) throw failed(`Could not clone the buildpack ${displayBuildpack(url)}: ${lastLine(full.output)}`);
    const checkout = await git(['checkout', '--quiet', '--detach', ref ?? 'HEAD', '--'], signal, dir);
    if (checkout.code !== 0) {
      throw failed(`The buildpack ${displayBuildpack(url)} has no branch, tag or commit "${ref}": ${lastLine(checkout.output)}`);
    }
  }
  await fs.promises.rm(path.join(dir, '.git'), { recursive: true, force: true });
}

/**
 * Downloads a .tgz/.tar.gz/.tar and unpacks it into `dir` without ever writing outside it: names
 * are checked, symlinks are made only once every file is written, devices are skipped. Answers
 * the buildpack's root: `dir`, or its only folder when the archive wraps everything in one
 * (GitHub's tarballs do).
 */
export async function downloadTarball(url: string, dir: string, signal: AbortSignal, maxBytes: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw failed(`Could not download the buildpack ${displayBuildpack(url)}: ${cause}`);
  }
  if (!response.ok || !response.body) {
    throw failed(`Could not download the buildpack ${displayBuildpack(url)}: HTTP ${response.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw failed(`The buildpack ${displayBuildpack(url)} is larger than ${Math.round(maxBytes / 1024)} KB.`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const gzipped = body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
  await fs.promises.rm(dir, { recursive: true, force: true });
  await fs.promises.mkdir(dir, { recursive: true });
  try {
    await extractTar(Readable.from(gzipped ? zlib.gunzipSync(body) : body), dir);
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    throw failed(`The buildpack ${displayBuildpack(url)} is not a valid tarball: ${(error as Error).message}`);
  }
  const top = await fs.promises.readdir(dir, { withFileTypes: true });
  if (!top.some((e) => e.name === 'bin') && top.length === 1 && top[0]!.isDirectory()) return path.join(dir, top[0]!.name);
  return dir;
}

/** A safe relative path inside the archive, or null for the root itself. Throws on escapes. */
export function safeEntryPath(name: string): string | null {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..')) throw failed(`The buildpack tarball has an unsafe path: ${name}`);
  return parts.length === 0 ? null : parts.join('/');
}

export async function extractTar(source: Readable, dir: string): Promise<void> {
  const links: Array<{ at: string; target: string; hard: boolean }> = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      void (async () => {
        const relative = safeEntryPath(header.name);
        const target = relative === null ? dir : path.join(dir, relative);
        if (header.type === 'directory') {
          await fs.promises.mkdir(target, { recursive: true });
        } else if (header.type === 'file' || header.type === 'contiguous-file') {
          await fs.promises.mkdir(path.dirname(target), { recursive: true });
          const mode = (header.mode ?? 0o644) & 0o777;
          await pipeline(stream, fs.createWriteStream(target, { mode: mode & 0o111 ? 0o755 : 0o644 }));
          return next();
        } else if ((header.type === 'symlink' || header.type === 'link') && relative !== null && header.linkname) {
          links.push({ at: relative, target: header.linkname, hard: header.type === 'link' });
        }
        stream.resume();
        stream.on('end', () => next());
      })().catch((error: unknown) => { extract.destroy(error as Error); reject(error); });
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  source.pipe(extract);
  await done;
  // Hard links first (copies of regular files already written), symlinks last: nothing is ever
  // written or read through a symlink on the host; they only resolve inside the build container.
  for (const link of [...links.filter((l) => l.hard), ...links.filter((l) => !l.hard)]) {
    const at = path.join(dir, link.at);
    if (!(await noSymlinkOnTheWay(dir, link.at)) || fs.existsSync(at)) continue;
    await fs.promises.mkdir(path.dirname(at), { recursive: true });
    if (link.hard) {
      const from = safeEntryPath(link.target);
      if (from === null || !(await noSymlinkOnTheWay(dir, from))) continue;
      const source = path.join(dir, from);
      if (fs.existsSync(source) && (await fs.promises.lstat(source)).isFile()) await fs.promises.copyFile(source, at);
    } else {
      await fs.promises.symlink(link.target, at);
    }
  }
}

/** Whether every existing component of `relative` under `dir` (the last one included) is a real folder or file, not a symlink. */
async function noSymlinkOnTheWay(dir: string, relative: string): Promise<boolean> {
  let current = dir;
  for (const part of relative.split('/')) {
    current = path.join(current, part);
    const stat = await fs.promises.lstat(current).catch(() => null);
    if (stat === null) return true;
    if (stat.isSymbolicLink()) return false;
  }
  return true;
}

/** Everything readable (and folders enterable) by the build container's unprivileged user. */
export async function makeReadable(dir: string): Promise<void> {
  const stat = await fs.promises.lstat(dir);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    await fs.promises.chmod(dir, (stat.mode & 0o777) | 0o755);
    for (const entry of await fs.promises.readdir(dir)) await makeReadable(path.join(dir, entry));
  } else if (stat.isFile()) {
    await fs.promises.chmod(dir, (stat.mode & 0o777) | (stat.mode & 0o100 ? 0o555 : 0o444));
  }
}
