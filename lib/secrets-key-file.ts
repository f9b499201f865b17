/**
 * The secrets key file (SLIPWAY_SECRETS_KEY_FILE, `<state dir>/secrets.key` by default): one line,
 * the base64 of 32 random bytes, mode 0600. `scripts/secrets init` (run by scripts/install) makes it.
 *
 * A rotation (`scripts/secrets rotate`, platform/secrets-main.ts) first writes the new key beside it
 * as `<file>.next`, re-seals everything with it, then renames it over the key file. Readers take both
 * files into their ring, so a value sealed with either opens, even after a rotation cut short.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SlipwayError } from './errors';
import { KEY_BYTES, SecretBox, secretKey, type SecretKey } from './secret-box';

export function nextKeyFile(file: string): string {
  return `${file}.next`;
}

/** Reads one key file; null when it does not exist. Refuses a file others can read. */
export function readKeyFile(file: string): SecretKey | null {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if ((stat.mode & 0o077) !== 0) {
      throw new SlipwayError('secrets_unreadable',
        `The secrets key file ${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): run chmod 600 ${file}.`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof SlipwayError) throw error;
    throw new SlipwayError('secrets_unreadable', `The secrets key file ${file} cannot be read (${(error as Error).message}).`, { cause: error });
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== text.trim()) {
    throw new SlipwayError('secrets_unreadable',
      `The secrets key file ${file} does not hold a key (the base64 of ${KEY_BYTES} bytes on one line): restore it from your backup.`);
  }
  return secretKey(key);
}

/** The ring of the key file and, during a rotation, its `.next`; null when there is no key file. */
export function readSecretBox(file: string): SecretBox | null {
  const current = readKeyFile(file);
  const next = readKeyFile(nextKeyFile(file));
  if (current === null) {
    // A rotation renamed .next over the key file: only the rename can be missing, never both.
    return next === null ? null : new SecretBox(next, [], `${file}.next`);
  }
  return new SecretBox(current, next === null ? [] : [next], next === null ? file : `${file} and ${nextKeyFile(file)}`);
}

/** The ring of the key file; a clear error when it is missing. */
export function requireSecretBox(file: string): SecretBox {
  const box = readSecretBox(file);
  if (box === null) {
    throw new SlipwayError('secrets_unreadable',
      `The secrets key file ${file} is missing: create it with scripts/secrets init on a new installation, or restore it from your backup (the database's secrets cannot be read without it).`);
  }
  return box;
}

/** Writes a key file (0600, in a 0700 folder), atomically; never over an existing one. */
export function writeKeyFile(file: string, key: SecretKey): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, `${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temporary, file); // fails if the file exists: a key is never overwritten by accident
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
