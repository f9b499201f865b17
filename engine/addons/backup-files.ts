/**
 * Where backup dumps live: `<state dir>/addon-backups/<add-on id>/<number>.dump`, folders 0700 and
 * files 0600 (the dumps hold every row of a tenant's database). One job: paths, streams, removal.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { outputOf } from './child-streams';
import type { BackupInput } from './kinds';

/** zlib's output pieces for a stream's gunzip: its default 16 KiB made a 370 MB gunzip take 7 s instead of 3 s (a pool trip per piece). */
const ZLIB_CHUNK = 128 * 1024;

export class BackupFiles {
  constructor(private readonly root: string) {}

  pathOf(addonId: number, number: number): string {
    return path.join(this.root, String(addonId), `${number}.dump`);
  }

  /**
   * The path for a new dump, its folders made and an existing file of that number (from a crashed
   * capture) removed: whoever writes it creates it (`wx`, 0600; see BackupOutput).
   */
  newFile(addonId: number, number: number): string {
    for (const dir of [this.root, path.join(this.root, String(addonId))]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
    }
    const file = this.pathOf(addonId, number);
    fs.rmSync(file, { force: true });
    return file;
  }

  createReadStream(addonId: number, number: number): fs.ReadStream {
    return fs.createReadStream(this.pathOf(addonId, number));
  }

  sizeOf(addonId: number, number: number): number | null {
    try {
      return fs.statSync(this.pathOf(addonId, number)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  remove(addonId: number, number: number): void {
    fs.rmSync(this.pathOf(addonId, number), { force: true });
  }

  removeAll(addonId: number): void {
    fs.rmSync(path.join(this.root, String(addonId)), { recursive: true, force: true });
  }
}

/** The backup as a stream (still compressed), whichever way it was given. */
export function backupStream(input: BackupInput): Readable {
  return 'file' in input ? fs.createReadStream(input.file) : input;
}

/** The backup uncompressed, as a stream. */
export function gunzipped(input: BackupInput): Readable {
  if ('file' in input) return gunzipFile(input.file);
  const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK });
  input.once('error', (error) => gunzip.destroy(error));
  return input.pipe(gunzip);
}

/**
 * A backup file uncompressed by a `gzip -dc` of its own that reads the file itself (as the
 * capture's gzip writes it): no byte of the compressed file passes through this process, whose
 * reads and zlib would wait on libuv's pool (docs/benchmarks.md, "Add-ons"). A corrupt or cut
 * file makes the stream fail with gzip's complaint, after what it could uncompress.
 */
function gunzipFile(file: string): Readable {
  return outputOf(spawn('gzip', ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] }), 'uncompressing the backup (not a whole gzip file?)');
}
