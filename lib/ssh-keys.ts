/** SSH public keys: parsing and OpenSSH-style SHA256 fingerprints, shared by the API and the SSH server. */
import crypto from 'node:crypto';
import { utils } from 'ssh2';
import { SlipwayError } from './errors';

export interface ParsedPublicKey {
  type: string;
  /** The key in one line, `type base64 [comment]`, as `ssh-keygen` writes it. */
  line: string;
  comment: string;
  fingerprint: string;
}

/** Same text as `ssh-keygen -lf`: SHA256:<base64 of the key blob's hash, no padding>. */
export function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function parsePublicKey(text: string): ParsedPublicKey {
  const line = text.trim().split(/\r?\n/)[0] ?? '';
  if (/PRIVATE KEY/.test(text)) {
    throw new SlipwayError('invalid_key', 'That is a private key. Register the public one (the .pub file) and keep the private key secret.');
  }
  const parsed = utils.parseKey(line);
  if (parsed instanceof Error || Array.isArray(parsed) || !line) {
    throw new SlipwayError('invalid_key', 'That is not an SSH public key. Give the content of a .pub file, such as ~/.ssh/id_ed25519.pub.');
  }
  const [type = '', , ...commentParts] = line.split(/\s+/);
  return { type, line, comment: commentParts.join(' '), fingerprint: fingerprintOfBlob(parsed.getPublicSSH()) };
}
