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
 * The host's end is held by a child process (gzip, tee, cat), never by this process's fs streams:
 * a pipe read or written through libuv's pool waits there for the other side and measured 1.3 to
 * 2 times slower than a child's stdio, which Node watches with epoll. Where it can, no byte of the
 * dump passes through this process at all (`out` hands the pipe's path to the compressor,
 * `fromFile` has gzip, tee and tail feed it): relaying it cost a backup 1.3 times the plain tools'
 * time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import { exited, outputOf } from './child-streams';
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
 * A backup file uncompressed into the pipe by processes of Slipway's own (`gzip -dc file | tee
 * pipe | tail -c`): the container's command reads the dump from the pipe, and `ending` answers
 * its last bytes, for the completion mark, once the whole dump went in. It rejects when the file
 * could not be uncompressed (corrupt, cut) or the pipe not be written (the reader stopped).
 */
export interface FilePipe extends PipeEnd {
  readonly ending: Promise<string>;
  /** Settles when gzip ended; rejects with its complaint when the file is not a whole gzip file. */
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

/** How much of a dump's end `fromFile` keeps: its tool's completion mark is in the last lines. */
const ENDING_BYTES = 4096;

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
      const gunzip = spawn('gzip', ['-dc', '--', gzipFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      const tail = spawn('tail', ['-c', String(ENDING_BYTES)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const tee = spawn('tee', ['--', pipe.host], { stdio: [gunzip.stdout!, tail.stdin!, 'pipe'] });
      // The children hold these ends now; ours would keep tail from seeing an end, and gzip from
      // hearing that tee stopped.
      gunzip.stdout!.destroy();
      tail.stdin!.destroy();
      const uncompressed = exited(gunzip, 'uncompressing the backup (not a whole gzip file?)');
      const written = exited(tee, 'writing the backup into the server\'s pipe');
      const ending = Promise.all([uncompressed, written, streamText(outputOf(tail, 'keeping the dump\'s end'))]).then(([, , text]) => text);
      uncompressed.catch(() => undefined);
      ending.catch(() => undefined);
      return { pathInContainer: pipe.inside, ending, uncompressed, release: releaser(pipe.host, fs.constants.O_RDONLY) };
    },
  };
}

async function streamText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
