/**
 * Secrets at rest (config values, TLS private keys): sealed with AES-256-GCM under a key ring read
 * from the secrets key file (lib/secrets-key-file.ts), and opened again. Pure: no I/O.
 *
 * A sealed value is one line of text, `slipway-sealed:v1:<key id>:<base64url(iv | ciphertext | tag)>`:
 * the key id (a hash of the key, never the key) says which key sealed it, so a value sealed with
 * another key is refused by name instead of failing as garbage, and a rotation can hold the old and
 * the new key at once. Every value is sealed for a `context` (e.g. `config:42`: app 42's config),
 * authenticated with it: a sealed value copied to another row or app does not open.
 */
import crypto from 'node:crypto';
import { SlipwayError } from './errors';

export const SEALED_PREFIX = 'slipway-sealed:v1:';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretKey {
  /** 16 hex digits derived from the key, shown in errors and `scripts/secrets status`. */
  readonly id: string;
  readonly key: Buffer;
}

export function keyIdOf(key: Buffer): string {
  return crypto.createHash('sha256').update('slipway secrets key id\n').update(key).digest('hex').slice(0, 16);
}

export function secretKey(key: Buffer): SecretKey {
  if (key.length !== KEY_BYTES) throw new SlipwayError('secrets_unreadable', `A secrets key must be ${KEY_BYTES} bytes; this one has ${key.length}.`);
  return { id: keyIdOf(key), key };
}

export function generateSecretKey(): SecretKey {
  return secretKey(crypto.randomBytes(KEY_BYTES));
}

export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** The id of the key that sealed `value`, or null when it is not a sealed value. */
export function sealedKeyId(value: string): string | null {
  if (!isSealed(value)) return null;
  const end = value.indexOf(':', SEALED_PREFIX.length);
  return end < 0 ? null : value.slice(SEALED_PREFIX.length, end);
}

/**
 * Seals with the current key, opens with any key of the ring. `where` names the key file(s) in
 * error messages, so they say what to restore or fix.
 */
export class SecretBox {
  private readonly byId: Map<string, SecretKey>;

  constructor(
    readonly current: SecretKey,
    others: readonly SecretKey[] = [],
    private readonly where = 'the secrets key file',
  ) {
    this.byId = new Map([current, ...others].map((key) => [key.id, key]));
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  seal(plaintext: string, context: string): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return `${SEALED_PREFIX}${this.current.id}:${sealed}`;
  }

  /** The plaintext of a sealed value; a SlipwayError('secrets_unreadable') saying why when it cannot be. */
  open(value: string, context: string): string {
    const keyId = sealedKeyId(value);
    if (keyId === null) throw this.unreadable(`the value is not sealed (it does not start with ${SEALED_PREFIX})`, context);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new SlipwayError('secrets_unreadable',
        `A secret (${context}) was sealed with the key ${keyId}, but ${this.where} holds ${this.keyIds.join(', ')}: ` +
        'put back the key file this installation was set up with (see docs/security.md), or finish the interrupted rotation with scripts/secrets rotate.');
    }
    const raw = Buffer.from(value.slice(SEALED_PREFIX.length + keyId.length + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw this.unreadable('the value is truncated', context);
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw this.unreadable('it fails authentication: it was changed, or belongs to another row', context, error);
    }
  }

  private unreadable(why: string, context: string, cause?: unknown): SlipwayError {
    return new SlipwayError('secrets_unreadable', `A secret (${context}) cannot be opened: ${why}. The database or etcd value is damaged; restore it from a backup.`, { cause });
  }
}
