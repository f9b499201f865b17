/**
 * Reads the server name (SNI, RFC 6066 §3) from the first bytes a TLS client sends: its ClientHello,
 * in one or more TLS records (RFC 8446 §5.1, §4.1.2). Pure: the router calls it on what has arrived
 * so far, and again with more bytes while the answer is `incomplete`.
 *
 * The router picks a connection's certificate from this name BEFORE the TLS handshake starts, so
 * that each TLS socket is made with exactly one certificate (router/tls.ts says why).
 */

/** What the bytes so far say. `invalid`: not a TLS ClientHello (TLS itself will then refuse it). */
export type ClientHelloResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'hello'; readonly serverName: string | null }
  | { readonly kind: 'invalid' };

/** A ClientHello longer than this is refused as invalid (real ones are a few hundred bytes to ~2 KB). */
export const MAX_CLIENT_HELLO_BYTES = 32 * 1024;

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;

const INCOMPLETE: ClientHelloResult = { kind: 'incomplete' };
const INVALID: ClientHelloResult = { kind: 'invalid' };

export function readClientHello(data: Buffer): ClientHelloResult {
  // Join the fragments of the handshake records until the whole ClientHello message is there.
  const fragments: Buffer[] = [];
  let joined = 0;
  let offset = 0;
  let needed = -1; // length of the handshake message (header included), once known
  while (needed < 0 || joined < needed) {
    if (data.length < offset + 5) return INCOMPLETE;
    if (data[offset] !== RECORD_HANDSHAKE || data[offset + 1] !== 0x03) return INVALID;
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > 16_384 + 256) return INVALID;
    if (data.length < offset + 5 + length) return INCOMPLETE;
    fragments.push(data.subarray(offset + 5, offset + 5 + length));
    joined += length;
    offset += 5 + length;
    if (needed < 0 && joined >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return INVALID;
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO_BYTES) return INVALID;
    }
  }
  const message = Buffer.concat(fragments).subarray(4, needed);
  const serverName = serverNameOf(message);
  return serverName === undefined ? INVALID : { kind: 'hello', serverName };
}

/** The host_name of the server_name extension; null when there is none; undefined if malformed. */
function serverNameOf(body: Buffer): string | null | undefined {
  const reader = new Reader(body);
  if (!reader.skip(2 + 32)) return undefined; // legacy_version, random
  if (!reader.skipVector(1)) return undefined; // legacy_session_id
  if (!reader.skipVector(2)) return undefined; // cipher_suites
  if (!reader.skipVector(1)) return undefined; // legacy_compression_methods
  if (reader.remaining === 0) return null; // no extensions at all (old clients)
  const extensions = reader.vector(2);
  if (extensions === null || reader.remaining !== 0) return undefined;
  const list = new Reader(extensions);
  while (list.remaining > 0) {
    const type = list.uint16();
    const data = list.vector(2);
    if (type === null || data === null) return undefined;
    if (type !== EXTENSION_SERVER_NAME) continue;
    const names = new Reader(data);
    const entries = names.vector(2);
    if (entries === null || names.remaining !== 0) return undefined;
    const entry = new Reader(entries);
    while (entry.remaining > 0) {
      const nameType = entry.uint8();
      const name = entry.vector(2);
      if (nameType === null || name === null) return undefined;
      if (nameType === NAME_TYPE_HOST) return name.length === 0 ? undefined : name.toString('latin1');
    }
    return null;
  }
  return null;
}

/** A bounds-checked cursor over a buffer: every read answers null (or false) past its end. */
class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  skip(bytes: number): boolean {
    if (this.remaining < bytes) return false;
    this.offset += bytes;
    return true;
  }

  uint8(): number | null {
    if (this.remaining < 1) return null;
    return this.buffer[this.offset++]!;
  }

  uint16(): number | null {
    if (this.remaining < 2) return null;
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  /** A vector with a length prefix of `lengthBytes` (1 or 2). */
  vector(lengthBytes: 1 | 2): Buffer | null {
    const length = lengthBytes === 1 ? this.uint8() : this.uint16();
    if (length === null || this.remaining < length) return null;
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skipVector(lengthBytes: 1 | 2): boolean {
    return this.vector(lengthBytes) !== null;
  }
}
