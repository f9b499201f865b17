/** First-start chores: the SSH host key, the admin's credentials, the npm registry to build with. */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../lib/config';
import { localUrl } from './addresses';
import { openSshEd25519 } from './host-key';
import type { IdentityService } from '../engine/identity-service';

/**
 * The SSH host key of this state dir, made at the first start. Written to a temporary file and
 * linked into place, so a process reading it never sees half a key, and when two starts race the
 * first link wins and both use that key.
 */
export function ensureHostKey(stateDir: string): Buffer {
  const file = path.join(stateDir, 'ssh_host_ed25519_key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(stateDir, { recursive: true });
    const { privateKey, publicKey } = openSshEd25519(crypto.generateKeyPairSync('ed25519').privateKey, 'slipway-host');
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(`${temporary}.pub`, publicKey);
      fs.writeFileSync(temporary, privateKey, { mode: 0o600 });
      fs.linkSync(temporary, file);
      fs.renameSync(`${temporary}.pub`, `${file}.pub`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(temporary, { force: true });
      fs.rmSync(`${temporary}.pub`, { force: true });
    }
  }
  return fs.readFileSync(file);
}

export function credentialsPath(stateDir: string): string {
  return path.join(stateDir, 'admin-credentials.json');
}

/**
 * The first start creates the platform admin and writes its token and its generated password
 * where the host's CLI finds them (mode 600, never logged): the token for the CLI on this host,
 * the password for `slipway login` from elsewhere and for the console. Only hashes are stored in
 * the database; this file is the one copy of both.
 */
export async function ensureAdmin(config: Config, identity: Pick<IdentityService, 'bootstrapAdmin'>): Promise<void> {
  const admin = await identity.bootstrapAdmin();
  if (!admin) return;
  const apiUrl = localUrl(config.apiHost, config.apiPort);
  writeOwnerOnly(credentialsPath(config.stateDir),
    JSON.stringify({ apiUrl, token: admin.token, user: admin.user.name, password: admin.password }, null, 2) + '\n');
}

/** Created with mode 600, and made so if it existed with another mode (writeFileSync's mode applies to new files only). */
function writeOwnerOnly(file: string, content: string): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

export function resolveNpmRegistry(config: Config): string | null {
  if (config.npmRegistry) return config.npmRegistry;
  try {
    const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return registry || null;
  } catch {
    return null;
  }
}
