/** Users, API tokens (stored hashed) and SSH keys. */
import crypto from 'node:crypto';
import { parsePublicKey } from '../lib/ssh-keys';
import type { SshKey, User } from './model';
import type { IdentityRepo } from './store/identity-repo';

/** Tokens are 32 random bytes, so a plain SHA-256 is enough to store them safely (no guessing). */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `slp_${crypto.randomBytes(32).toString('base64url')}`;
}

export class IdentityService {
  constructor(private readonly repo: IdentityRepo) {}

  /** Creates the first user with a fresh token; returns null when users exist already. */
  async bootstrapAdmin(name = 'admin'): Promise<{ user: User; token: string } | null> {
    if ((await this.repo.countUsers()) > 0) return null;
    const token = newToken();
    const user = await this.repo.createUserWithToken(name, hashToken(token));
    return { user, token };
  }

  authenticate(token: string): Promise<User | null> {
    return this.repo.userByTokenHash(hashToken(token));
  }

  async addKey(user: User, publicKey: string, name?: string): Promise<SshKey> {
    const parsed = parsePublicKey(publicKey);
    const label = name?.trim() || parsed.comment || parsed.type;
    return this.repo.addKey(user.id, label, parsed.fingerprint, parsed.line);
  }

  keys(): Promise<SshKey[]> {
    return this.repo.keys();
  }

  removeKey(idOrFingerprint: string): Promise<void> {
    return this.repo.removeKey(idOrFingerprint);
  }

  async userForFingerprint(fingerprint: string): Promise<string | null> {
    const key = await this.repo.keyByFingerprint(fingerprint);
    return key ? String(key.userId) : null;
  }
}
