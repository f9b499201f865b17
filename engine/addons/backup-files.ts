/**
 * Where backup dumps live: `<state dir>/addon-backups/<add-on id>/<number>.dump`, folders 0700 and
 * files 0600 (the dumps hold every row of a tenant's database). One job: paths, streams, removal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupInput } from './kinds';

export class BackupFiles {
  constructor(private readonly root: string) {}

  pathOf(addonId: number, number: number): string {
    return path.join(this.root, String(addonId), `${number}.dump`);
  }

  /** A new file for the dump (an existing one of that number, from a crashed capture, is replaced). */
  createWriteStream(addonId: number, number: number): fs.WriteStream {
    for (const dir of [this.root, path.join(this.root, String(addonId))]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
    }
    const file = this.pathOf(addonId, number);
    fs.rmSync(file, { force: true });
    return fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
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
