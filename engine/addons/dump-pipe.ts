/**
 * A dump's way out of its container that bypasses Docker's exec stream. Through `docker exec`
 * stdout a 760 MB pg_dump took 15 s where the same dump written inside the container took 5 s
 * (the stream crosses the shim, a FIFO and dockerd, in 64 KiB steps, while the server's CPU quota
 * throttles the writer): docs/benchmarks.md, "Add-ons". So, when Slipway runs beside dockerd and
 * can reach the add-on's volume on disk, the dump tool writes into a named pipe in that volume and
 * Slipway reads the pipe's other end from the host. Elsewhere (a remote Docker), `open` answers
 * null and the exec stream is used.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecFn } from './docker-exec';

/** Read in large pieces: a dump is hundreds of megabytes, and each read is a trip to libuv's pool. */
const READ_CHUNK = 1024 * 1024;

export interface DumpPipe {
  /** Where the command inside the container writes. */
  readonly pathInContainer: string;
  /** What it wrote, ending when the writer closes the pipe. */
  readonly stream: Readable;
  /**
   * After the command ended: ends a read still waiting for a writer that never came (the command
   * failed before opening the pipe) and removes the pipe.
   */
  release(): Promise<void>;
}

export interface DumpPipes {
  /** A new pipe in the container's `dataDir` (a volume), owned by `user`; null when the host cannot reach it. */
  open(container: string, user: string, dataDir: string): Promise<DumpPipe | null>;
}

/** The exec stream only (remote Docker, unit tests). */
export const noDumpPipes: DumpPipes = { open: async () => null };

export function volumeDumpPipes(docker: Docker, exec: ExecFn): DumpPipes {
  return {
    async open(container, user, dataDir) {
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
      const hostPath = path.join(mount.Source, name);
      // Opening blocks (in libuv's pool) until the command opens its end for writing.
      const stream = fs.createReadStream(hostPath, { highWaterMark: READ_CHUNK });
      return {
        pathInContainer: `${dataDir}/${name}`,
        stream,
        async release() {
          try {
            // A reader still waiting in open() is let go (it then reads an empty end); with no
            // reader waiting this fails with ENXIO, which is fine.
            const handle = await fs.promises.open(hostPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
            await handle.close();
          } catch {
            // nobody was waiting
          }
          await fs.promises.rm(hostPath, { force: true });
        },
      };
    },
  };
}
