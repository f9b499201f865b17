/** First-start chores: the SSH host key, the admin's credentials, the npm registry to build with. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { utils } from 'ssh2';
import type { Config } from '../lib/config';
import { localUrl } from './addresses';
import type { IdentityService } from '../engine/identity-service';

export function ensureHostKey(stateDir: string): Buffer {
  const file = path.join(stateDir, 'ssh_host_ed25519_key');
  if (!fs.existsSync(file)) {
    const pair = utils.generateKeyPairSync('ed25519');
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, pair.private, { mode: 0o600 });
    fs.writeFileSync(`${file}.pub`, pair.public);
  }
  return fs.readFileSync(file);
}

export function credentialsPath(stateDir: string): string {
  return path.join(stateDir, 'admin-credentials.json');
}

/**
 * The first start creates the admin and writes its token where the host's CLI finds it (mode 600).
 * Only the hash is stored in the database; this file is the one copy of the token.
 */
export async function ensureAdmin(config: Config, identity: IdentityService): Promise<void> {
  const admin = await identity.bootstrapAdmin();
  if (!admin) return;
  const apiUrl = localUrl(config.apiHost, config.apiPort);
  fs.writeFileSync(credentialsPath(config.stateDir),
    JSON.stringify({ apiUrl, token: admin.token, user: admin.user.name }, null, 2) + '\n', { mode: 0o600 });
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
