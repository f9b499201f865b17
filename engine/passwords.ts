/**
 * Password hashing with scrypt at OWASP's recommended cost (N = 2^17, r = 8, p = 1: 128 MiB and
 * a few hundred milliseconds per hash), stored with its parameters so they can be raised later:
 *
 *   $scrypt$ln=17,r=8,p=1$<salt, base64>$<key, base64>
 *
 * A stored hash is verified with the parameters it names (bounded, so a forged row cannot make
 * the server allocate gigabytes), compared in constant time; `needsRehash` says when a user's
 * hash is weaker than today's parameters (the login that proves the password can rehash it).
 */
import crypto from 'node:crypto';

export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  r: number;
  p: number;
}

export const OWASP_SCRYPT: ScryptParams = Object.freeze({ ln: 17, r: 8, p: 1 });
const KEY_BYTES = 64;
const SALT_BYTES = 16;
/** The most a stored hash may ask for: 2^20 × 8 × 128 bytes = 1 GiB would be refused. */
const MAX_LN = 18;
const MAX_R = 16;
const MAX_P = 4;

/** scrypt needs 128 × N × r bytes; Node's default maxmem (32 MiB) is below OWASP's 128 MiB. */
function maxmem(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r * params.p + 1024 * 1024;
}

/**
 * At most this many hashes at once: each takes 128 MiB, and a burst of logins must not take the
 * machine's memory (the throttle slows one attacker; this bounds many).
 */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return limited(() => new Promise<Buffer>((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: maxmem(params) },
      (error, key) => (error ? reject(error) : resolve(key)));
  }));
}

export async function hashPassword(password: string, params: ScryptParams = OWASP_SCRYPT): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function parsePasswordHash(encoded: string): ParsedHash | null {
  const match = ENCODED.exec(encoded);
  if (!match) return null;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.ln < 1 || params.ln > MAX_LN || params.r < 1 || params.r > MAX_R || params.p < 1 || params.p > MAX_P) return null;
  const salt = Buffer.from(match[4]!, 'base64');
  const key = Buffer.from(match[5]!, 'base64');
  if (salt.length < SALT_BYTES || key.length !== KEY_BYTES) return null;
  return { params, salt, key };
}

/** True when `password` matches the stored hash; false for a wrong password or a hash it cannot read. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return crypto.timingSafeEqual(key, parsed.key);
}

/** True when the stored hash is weaker than `params` (or unreadable). */
export function needsRehash(encoded: string, params: ScryptParams = OWASP_SCRYPT): boolean {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return true;
  return parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

/**
 * A hash of nothing anyone knows, verified when the user does not exist or has no password, so
 * that a login takes as long whether or not the name exists.
 */
let decoy: Promise<string> | null = null;
export function decoyHash(params: ScryptParams = OWASP_SCRYPT): Promise<string> {
  decoy ??= hashPassword(crypto.randomBytes(32).toString('base64'), params);
  return decoy;
}

/** A password for `users:create` without one, shown once: 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return crypto.randomBytes(18).toString('base64url');
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

/** Why a new password is refused, or null. Length is what counts (NIST SP 800-63B): no composition rules. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `it is shorter than ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `it is longer than ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
