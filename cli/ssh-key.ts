/**
 * Finding and checking an OpenSSH public key before it is sent to `POST /keys`, so a wrong
 * file (a private key, a certificate, an empty file) gets a clear message and no API call.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error';

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

export interface PublicKey {
  /** The key as one line: `<type> <base64> [comment]`. */
  line: string;
  type: string;
  comment: string | null;
}

/** Checks that `text` is one OpenSSH public key; returns why not otherwise. */
export function parsePublicKey(text: string): PublicKey | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'it is empty' };
  if (/PRIVATE KEY/.test(trimmed)) return { problem: 'it is a private key; use the .pub file next to it' };
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (lines.length !== 1) return { problem: `it holds ${lines.length} lines; use a file with a single public key` };
  const line = lines[0].trim();
  const [type, data, ...rest] = line.split(/\s+/);
  if (!KEY_TYPES.has(type)) {
    return { problem: `"${type.slice(0, 40)}" is not a supported key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-*)` };
  }
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return { problem: 'the key data is not base64' };
  // The blob starts with the key type as an SSH string: uint32 length, then the bytes.
  const blob = Buffer.from(data, 'base64');
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (length < 0 || 4 + length > blob.length || blob.subarray(4, 4 + length).toString('latin1') !== type) {
    return { problem: `the key data does not match its type ${type}` };
  }
  const comment = rest.join(' ');
  return { line: [type, data, comment].filter((part) => part !== '').join(' '), type, comment: comment || null };
}

export function defaultKeyFiles(homeDir: string = os.homedir()): string[] {
  return [path.join(homeDir, '.ssh', 'id_ed25519.pub'), path.join(homeDir, '.ssh', 'id_rsa.pub')];
}

function readKeyFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new CliError(`${file} is a directory, not a public key file.`);
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(`${file} is not readable by this user.`);
    throw new CliError(`Cannot read ${file}: ${code ?? String(error)}.`);
  }
}

/**
 * Reads the public key from `file`, or from ~/.ssh/id_ed25519.pub then ~/.ssh/id_rsa.pub.
 * Throws a CliError saying what is wrong and what to do.
 */
export function loadPublicKey(file: string | undefined, homeDir: string = os.homedir()): PublicKey & { file: string } {
  const candidates = file === undefined ? defaultKeyFiles(homeDir) : [path.resolve(file)];
  for (const candidate of candidates) {
    const text = readKeyFile(candidate);
    if (text === null) continue;
    const parsed = parsePublicKey(text);
    if ('problem' in parsed) {
      const hint = candidate.endsWith('.pub') || !fs.existsSync(`${candidate}.pub`) ? '' : ` Did you mean ${candidate}.pub?`;
      throw new CliError(`${candidate} is not an SSH public key: ${parsed.problem}.${hint}`);
    }
    return { ...parsed, file: candidate };
  }
  if (file !== undefined) {
    throw new CliError(`No such file: ${candidates[0]}. Pass the path of your public key, e.g. slipway keys:add ~/.ssh/id_ed25519.pub`);
  }
  throw new CliError(
    `No public key found at ${candidates.join(' or ')}: create one with ssh-keygen -t ed25519, or pass a file: slipway keys:add PATH`,
  );
}
