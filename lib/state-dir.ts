/**
 * The state dir holds the database, the secrets key, git repositories, credentials, logs and the
 * router's route cache: it and the folders in it are for their owner only (0700), so that no other
 * local user reads an app's source, config or keys, whatever the modes of the files inside. Made so
 * when missing, and put right on an installation from before (docs/security.md).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Folders of the state dir, each owner-only; `repos` is made now so git never makes it 0755. */
export const STATE_SUBDIRS = ['repos', 'logs', 'run', 'router'] as const;

export function secureStateDir(stateDir: string): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(stateDir, 0o700);
  for (const name of STATE_SUBDIRS) {
    const dir = path.join(stateDir, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
  }
}
