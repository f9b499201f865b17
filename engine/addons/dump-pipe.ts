/**
 * A dump's way out of (and a backup's way into) its container that bypasses Docker's exec
 * streams. Through `docker exec` stdout a 760 MB pg_dump took 15 s where the same dump written
 * inside the container took 5 s, and a restore fed to psql's stdin took 19 s where psql reading a
 * file took 13 s: the streams cross the shim, FIFOs and dockerd in 64 KiB steps, while the
 * server's CPU quota throttles the tool at the other end (docs/benchmarks.md, "Add-ons"). So, when
 * Slipway runs beside dockerd and can reach the add-on's volume on disk, the tool in the container
 * writes to (or reads from) a named pipe in that volume, and a process of Slipway's has the other
 * end on the host. Elsewhere (a remote Docker) these answer null and the exec streams are used.
 *
 * The host's end is held by a child process (gzip, cat), never by this process's fs streams:
 * a pipe read or written through libuv's pool waits there for the other side and measured 1.3 to
 * 2 times slower than a child's stdio, which Node watches with epoll. Where it can, no byte of the
 * dump passes through this process at all (`out` hands the pipe's path to the compressor,
 * `fromFile` has gzip write into it): relaying it cost a backup 1.3 times the plain tools'
 * time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import { exited } from './child-streams';
import type { ExecFn } from './docker-exec';

/** Buffered between the pipe and Slipway's side, so neither waits on the other's every step. */
const BUFFER = 1024 * 1024;

interface PipeEnd {
  /** The pipe's path as the command inside the container sees it. */
  readonly pathInContainer: string;
  /**
   * After the command ended: lets go of a host end still waiting for a command that never opened
   * the pipe (it failed first), and removes the pipe.
   */
  release(): Promise<void>;
}

/** The container's command writes to the pipe; a process of Slipway's reads `hostPath`, to the end the writer's close makes. */
export interface OutPipe extends PipeEnd {
  readonly hostPath: string;
}

/** Slipway writes `stream`; the container's command reads the pipe, to its end when `stream` ends. */
export interface InPipe extends PipeEnd {
  readonly stream: Writable;
  /** Settles when the host's end has written everything (or failed). */
  readonly done: Promise<void>;
}

/**
 * A backup file uncompressed into the pipe by a `gzip -dc` of Slipway's own: the container's
 * command reads the dump from the pipe; `uncompressed` rejects when the file is not a whole gzip
 * file (corrupt, cut: gzip checks its CRC and length) or the reader stopped early.
 */
export interface FilePipe extends PipeEnd {
  readonly uncompressed: Promise<void>;
}

export interface DumpPipes {
  /** A new pipe in the container's `dataDir` (a volume), owned by `user`; null when the host cannot reach it. */
  out(container: string, user: string, dataDir: string): Promise<OutPipe | null>;
  in(container: string, user: string, dataDir: string): Promise<InPipe | null>;
  fromFile(container: string, user: string, dataDir: string, gzipFile: string): Promise<FilePipe | null>;
}

/** The exec streams only (remote Docker, unit tests). */
export const noDumpPipes: DumpPipes = { out: async () => null, in: async () => null, fromFile: async () => null };

export function volumeDumpPipes(docker: Docker, exec: ExecFn): DumpPipes {
  /** Makes the pipe (as `user`, mode 0600) and answers both its paths, or null. */
  const make = async (container: string, user: string, dataDir: string): Promise<{ inside: string; host: string } | null> => {
    const info = await docker.getContainer(container).inspect();
    const mount = (info.Mounts ?? []).find((m) => m.Destination === dataDir && m.Type === 'volume');
    if (!mount?.Source) return null;
    try {
      await fs.promises.access(mount.Source, fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      return null; // not beside dockerd, or not allowed into its volumes
    }
    const name = `.slipway-dump-${randomBytes(8).toString('hex')}`;
    const made = await exec(container, { user, cmd: ['mkfifo', '-m', '600', `${dataDir}/${name}`] });
    if (made.exitCode !== 0) return null;
    return { inside: `${dataDir}/${name}`, host: path.join(mount.Source, name) };
  };

  /** Opening the other end without waiting wakes a host end blocked in open(); then the pipe goes. */
  const releaser = (hostPath: string, otherEnd: number) => async (): Promise<void> => {
    try {
      const handle = await fs.promises.open(hostPath, otherEnd | fs.constants.O_NONBLOCK);
      await handle.close();
    } catch {
      // nobody was waiting (ENXIO for a writer with no reader)
    }
    await fs.promises.rm(hostPath, { force: true });
  };

  return {
    async out(container, user, dataDir) {
      const pipe = await make(container, user, dataDir);
      if (!pipe) return null;
      return { pathInContainer: pipe.inside, hostPath: pipe.host, release: releaser(pipe.host, fs.constants.O_WRONLY) };
    },
    async in(container, user, dataDir) {
      const pipe = await make(container, user, dataDir);
      if (!pipe) return null;
      const writer = spawn('sh', ['-c', 'exec cat > "$0"', pipe.host], { stdio: ['pipe', 'ignore', 'pipe'] });
      const stream = new PassThrough({ highWaterMark: BUFFER });
      // A reader that stopped early closes the pipe: the writer's EPIPE is its exit's business.
      writer.stdin!.on('error', () => undefined);
      stream.pipe(writer.stdin!);
      const done = exited(writer, 'feeding the backup\'s pipe');
      done.catch(() => undefined);
      return { pathInContainer: pipe.inside, stream, done, release: releaser(pipe.host, fs.constants.O_RDONLY) };
    },
    async fromFile(container, user, dataDir, gzipFile) {
      const pipe = await make(container, user, dataDir);
      if (!pipe) return null;
      // The shell opens the pipe (waiting for its reader), so this process never blocks on it.
      const gunzip = spawn('sh', ['-c', 'exec gzip -dc -- "$0" > "$1"', gzipFile, pipe.host], { stdio: ['ignore', 'ignore', 'pipe'] });
      const uncompressed = exited(gunzip, 'uncompressing the backup into the server\'s pipe (not a whole gzip file?)');
      uncompressed.catch(() => undefined);
      return { pathInContainer: pipe.inside, uncompressed, release: releaser(pipe.host, fs.constants.O_RDONLY) };
    },
  };
}
