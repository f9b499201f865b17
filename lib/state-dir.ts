/**
 * The state dir holds the database, the secrets key, git repositories, credentials, logs and the
 * router's route cache. Other local users may pass through it and its run/ folder (0711: MariaDB,
 * started by scripts/start-services, runs as mysql from folders inside) but not list them; the
 * folders with secrets are their owner's only (0700), so that no other local user reads an app's
 * source, logs or routes whatever the modes of the files inside; the database and key files are
 * 0600 themselves. Made so when missing, and put right on an installation from before
 * (docs/security.md).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Modes of the state dir (`.`) and its folders; `repos` is made now so git never makes it 0755. */
export const STATE_DIR_MODES: Readonly<Record<string, number>> = { '.': 0o711, run: 0o711, repos: 0o700, logs: 0o700, router: 0o700, 'addon-backups': 0o700 };

export function secureStateDir(stateDir: string): void {
  for (const [name, mode] of Object.entries(STATE_DIR_MODES)) {
    const dir = path.join(stateDir, name);
    fs.mkdirSync(dir, { recursive: true, mode });
    fs.chmodSync(dir, mode);
  }
}
