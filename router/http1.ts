/**
 * Just enough HTTP/1.1 for the router's fast path (router/fast-proxy.ts), pure functions on bytes:
 *
 * - parseRequestHead reads a client's request head and says whether the fast path may carry it.
 *   It is deliberately narrow and strict: anything it does not fully understand (HTTP/1.0, an
 *   Upgrade, Expect, a chunked or otherwise transfer-coded body, an obsolete line fold, a stray
 *   control character, several Content-Lengths, a line or head over the limits) is `fallback`,
 *   and the connection is handed to Node's own HTTP server, whose llhttp parser and the full proxy
 *   (router/proxy.ts) answer it, errors included. So the fast path never has to be lenient, which
 *   is where request smuggling comes from.
 * - parseResponseHead reads a backend's response head and works out how its body is framed.
 * - ChunkedScanner follows a chunked body byte by byte to find where it ends, so the bytes can be
 *   passed on untouched and the backend connection reused.
 *
 * Everything works on latin1 strings: one byte per character, so what is written back out (with
 * 'latin1') is byte for byte what came in.
 */
import { HOP_BY_HOP, NEVER_DROPPED, REPLACED_ON_REQUEST } from './hop-by-hop';
import { MAX_HEAD_BYTES, MAX_LINE_BYTES } from './request-head';

/** tchar of RFC 9110 §5.6.2: what a header name or a method may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** An origin-form request target (`/path?query`): visible ASCII only. */
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
const DIGITS = /^\d{1,15}$/;
/** Methods sent without a body by convention; any other without Content-Length gets `Content-Length: 0`. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

export interface FastRequestHead {
  readonly method: string;
  /** The request target as sent (origin form). */
  readonly target: string;
  /** The first Host header as sent. */
  readonly host: string;
  readonly accept: string | undefined;
  /** The body length (0 when there is none). */
  readonly contentLength: number;
  readonly requestId: string | undefined;
  /** Every X-Forwarded-For the client sent, joined with ", ". */
  readonly forwardedFor: string | undefined;
  /** The client asked to close the connection after this exchange. */
  readonly close: boolean;
  /**
   * The head as it goes to the backend, up to but not including the headers the router adds and
   * the blank line: request line, then the client's end-to-end header lines, byte for byte.
   */
  readonly forwardedHead: string;
  /** Bytes the head took in the buffer, blank line included. */
  readonly headBytes: number;
}

export type RequestHeadResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'fallback'; readonly reason: string }
  | { readonly kind: 'request'; readonly head: FastRequestHead };

const INCOMPLETE: RequestHeadResult = { kind: 'incomplete' };

/** Reads the request head at the start of `buffer`. */
export function parseRequestHead(buffer: Buffer): RequestHeadResult {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return buffer.length > MAX_HEAD_BYTES ? fallback('head over the limit') : INCOMPLETE;
  if (end + 4 > MAX_HEAD_BYTES) return fallback('head over the limit');
  const text = buffer.toString('latin1', 0, end);
  const lines = text.split('\r\n');
  const requestLine = lines[0] as string;
  if (requestLine.length > MAX_LINE_BYTES) return fallback('request line over the limit');
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace === firstSpace) return fallback('request line');
  if (requestLine.slice(lastSpace + 1) !== 'HTTP/1.1') return fallback('not HTTP/1.1');
  const method = requestLine.slice(0, firstSpace);
  const target = requestLine.slice(firstSpace + 1, lastSpace);
  if (!TOKEN.test(method) || !ORIGIN_FORM.test(target) || method === 'CONNECT') return fallback('request line');

  let host: string | undefined;
  let accept: string | undefined;
  let contentLength: string | undefined;
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let connectionTokens: string[] | null = null;
  // Header lines kept for the backend: indexes into `lines`, filtered once Connection is known.
  const kept: number[] = [];
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (line.length > MAX_LINE_BYTES) return fallback('header line over the limit');
    const colon = line.indexOf(':');
    if (colon <= 0) return fallback('header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return fallback('header name');
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) return fallback('header value');
    const lower = name.toLowerCase();
    switch (lower) {
      case 'host':
        if (host !== undefined) return fallback('several Host headers');
        host = value;
        break;
      case 'content-length':
        if (contentLength !== undefined || !DIGITS.test(value)) return fallback('Content-Length');
        contentLength = value;
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
      case 'http2-settings':
        return fallback(lower);
      case 'connection':
        connectionTokens = connectionTokens === null ? listTokens(value) : connectionTokens.concat(listTokens(value));
        break;
      case 'accept':
        accept = accept === undefined ? value : `${accept}, ${value}`;
        break;
      case 'x-request-id':
        requestId ??= value;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      default:
        break;
    }
    if (HOP_BY_HOP.has(lower) || REPLACED_ON_REQUEST.has(lower)) continue;
    kept.push(i);
  }
  if (host === undefined) return fallback('no Host header');
  if (connectionTokens !== null && connectionTokens.includes('upgrade')) return fallback('upgrade');

  let forwardedHead = `${method} ${target} HTTP/1.1`;
  for (const index of kept) {
    const line = lines[index] as string;
    if (connectionTokens !== null && connectionTokens.length > 0) {
      const lower = line.slice(0, line.indexOf(':')).toLowerCase();
      if (connectionTokens.includes(lower) && !NEVER_DROPPED.has(lower)) continue;
    }
    forwardedHead += `\r\n${line}`;
  }
  const length = contentLength === undefined ? 0 : Number(contentLength);
  if (contentLength === undefined && !BODYLESS_BY_DEFAULT.has(method)) forwardedHead += '\r\nContent-Length: 0';
  return {
    kind: 'request',
    head: {
      method,
      target,
      host,
      accept,
      contentLength: length,
      requestId,
      forwardedFor,
      close: connectionTokens !== null && connectionTokens.includes('close'),
      forwardedHead,
      headBytes: end + 4,
    },
  };
}

function fallback(reason: string): RequestHeadResult {
  return { kind: 'fallback', reason };
}

function listTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '') out.push(token);
  }
  return out;
}

// ------------------------------------------------------------------------------------ responses

/** How the backend's response body is delimited. */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** No length given: the body runs until the backend closes the connection. */
  | { readonly kind: 'close' };

export interface ResponseHead {
  readonly status: number;
  /** The head for the client, without the X-Request-Id and Connection lines and the blank line. */
  readonly clientHead: string;
  readonly framing: BodyFraming;
  /** The backend connection can carry another request after this response. */
  readonly reusable: boolean;
  readonly headBytes: number;
}

export type ResponseHeadResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string }
  /** 1xx: an interim response (103 Early Hints, a stray 100), skipped; the real one follows. */
  | { readonly kind: 'interim'; readonly headBytes: number }
  | { readonly kind: 'response'; readonly head: ResponseHead };

const RESPONSE_INCOMPLETE: ResponseHeadResult = { kind: 'incomplete' };
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/** Reads the response head at the start of `buffer`; `headRequest`: the request was HEAD (no body follows). */
export function parseResponseHead(buffer: Buffer, headRequest: boolean): ResponseHeadResult {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return buffer.length > MAX_HEAD_BYTES ? invalid('response head too large') : RESPONSE_INCOMPLETE;
  const text = buffer.toString('latin1', 0, end);
  const lines = text.split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0] as string);
  if (statusLine === null) return invalid('status line');
  const status = Number(statusLine[2]);
  if (status < 100) return invalid('status code');
  if (status < 200) {
    // 101 only answers an Upgrade, which never takes the fast path.
    return status === 101 ? invalid('unrequested 101') : { kind: 'interim', headBytes: end + 4 };
  }
  const http10 = statusLine[1] === '0';
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let connectionTokens: string[] | null = null;
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return invalid('header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return invalid('header name');
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) return invalid('header value');
    switch (name.length === 14 || name.length === 17 || name.length === 10 ? name.toLowerCase() : '') {
      case 'content-length':
        if (!DIGITS.test(value) || (contentLength !== undefined && contentLength !== value)) return invalid('Content-Length');
        contentLength = value;
        break;
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case 'connection':
        connectionTokens = connectionTokens === null ? listTokens(value) : connectionTokens.concat(listTokens(value));
        break;
      default:
        break;
    }
  }
  const chunked = transferEncoding !== undefined && lastCoding(transferEncoding) === 'chunked';
  let framing: BodyFraming;
  if (headRequest || status === 204 || status === 304) framing = { kind: 'none' };
  else if (transferEncoding !== undefined) framing = chunked ? { kind: 'chunked' } : { kind: 'close' };
  else if (contentLength !== undefined) framing = Number(contentLength) === 0 ? { kind: 'none' } : { kind: 'length', length: Number(contentLength) };
  else framing = { kind: 'close' };

  let clientHead = `HTTP/1.1 ${lines[0]?.slice(9) ?? ''}`;
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const lower = line.slice(0, line.indexOf(':')).toLowerCase();
    if (lower === 'x-request-id') continue;
    if (HOP_BY_HOP.has(lower)) {
      // The chunks are passed on as they are, so the client is told they are chunks.
      if (lower === 'transfer-encoding' && chunked) clientHead += `\r\nTransfer-Encoding: chunked`;
      continue;
    }
    // With a Transfer-Encoding, a Content-Length means nothing and must not reach the client.
    if (lower === 'content-length' && transferEncoding !== undefined) continue;
    if (connectionTokens !== null && connectionTokens.includes(lower) && !NEVER_DROPPED.has(lower)) continue;
    clientHead += `\r\n${line}`;
  }
  const closes = connectionTokens !== null && connectionTokens.includes('close');
  const keepsAlive = http10 ? connectionTokens !== null && connectionTokens.includes('keep-alive') : !closes;
  return {
    kind: 'response',
    head: { status, clientHead, framing, reusable: keepsAlive && framing.kind !== 'close', headBytes: end + 4 },
  };
}

function invalid(reason: string): ResponseHeadResult {
  return { kind: 'invalid', reason };
}

function lastCoding(transferEncoding: string): string {
  const codings = transferEncoding.split(',');
  return (codings[codings.length - 1] as string).trim().toLowerCase();
}

// ------------------------------------------------------------------------------------ chunked bodies

const enum ChunkState {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  FinalLf,
  Done,
}

/** Largest chunk size accepted: 2^48 bytes, far past anything real, well inside a double. */
const MAX_CHUNK_HEX_DIGITS = 12;

/**
 * Follows a chunked body (RFC 9112 §7.1) without changing it: `scan` is given the body's bytes as
 * they arrive and returns where in `chunk` the body ended (the index just past its last byte), -1
 * if it goes on, or -2 if the framing is broken (the connection cannot be trusted after that).
 */
export class ChunkedScanner {
  private state = ChunkState.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;

  get done(): boolean {
    return this.state === ChunkState.Done;
  }

  scan(chunk: Buffer): number {
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      switch (this.state) {
        case ChunkState.Size: {
          const byte = chunk[i] as number;
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.digits > MAX_CHUNK_HEX_DIGITS) return -2;
            this.size = this.size * 16 + digit;
          } else if (this.digits === 0) {
            return -2;
          } else if (byte === 0x3b /* ; */ || byte === 0x20 || byte === 0x09) {
            this.state = ChunkState.Extension;
          } else if (byte === 0x0d) {
            this.state = ChunkState.SizeLf;
          } else {
            return -2;
          }
          i += 1;
          break;
        }
        case ChunkState.Extension: {
          const cr = chunk.indexOf(0x0d, i);
          if (cr < 0) return -1;
          i = cr + 1;
          this.state = ChunkState.SizeLf;
          break;
        }
        case ChunkState.SizeLf:
          if (chunk[i] !== 0x0a) return -2;
          i += 1;
          if (this.size === 0) {
            this.state = ChunkState.TrailerStart;
          } else {
            this.remaining = this.size;
            this.state = ChunkState.Data;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case ChunkState.Data: {
          const take = Math.min(this.remaining, length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = ChunkState.DataCr;
          break;
        }
        case ChunkState.DataCr:
          if (chunk[i] !== 0x0d) return -2;
          i += 1;
          this.state = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (chunk[i] !== 0x0a) return -2;
          i += 1;
          this.state = ChunkState.Size;
          break;
        case ChunkState.TrailerStart:
          this.state = chunk[i] === 0x0d ? ChunkState.FinalLf : ChunkState.Trailer;
          i += 1;
          break;
        case ChunkState.Trailer: {
          const cr = chunk.indexOf(0x0d, i);
          if (cr < 0) return -1;
          i = cr + 1;
          this.state = ChunkState.TrailerLf;
          break;
        }
        case ChunkState.TrailerLf:
          if (chunk[i] !== 0x0a) return -2;
          i += 1;
          this.state = ChunkState.TrailerStart;
          break;
        case ChunkState.FinalLf:
          if (chunk[i] !== 0x0a) return -2;
          this.state = ChunkState.Done;
          return i + 1;
        case ChunkState.Done:
          return i;
      }
    }
    return -1;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
