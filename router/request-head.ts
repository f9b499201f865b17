/**
 * What the proxy needs to know about a request's head, read in one pass over `rawHeaders` (so
 * Node never has to build the `req.headers` object), and the limits a head must keep. Pure.
 */
import { randomUUID } from 'node:crypto';
import { clientTakesTrailers } from './proxy-policy';

/** Longest request line, and longest header line (`Name: value`), in bytes: as on Heroku. */
export const MAX_LINE_BYTES = 8192;
/** Largest whole request head Node's parser accepts (`maxHeaderSize`); past it: 431 R431. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest X-Request-Id kept from a client; a longer or odd one is replaced. */
const MAX_REQUEST_ID_LENGTH = 200;
/** Visible ASCII, no spaces: safe in a header and a log line. */
const REQUEST_ID = /^[\x21-\x7e]+$/;

export interface RequestHead {
  /** The first Host header, as sent; `hostCount` > 1 means the request is ambiguous. */
  readonly host: string | undefined;
  readonly hostCount: number;
  readonly accept: string | undefined;
  /** The declared body length; null when there is none (no body, or a chunked one). */
  readonly contentLength: number | null;
  /** The body is chunked (Transfer-Encoding): its length is known only at its end. */
  readonly chunked: boolean;
  readonly requestId: string | undefined;
  /** Every X-Forwarded-For the client sent, joined. */
  readonly forwardedFor: string | undefined;
  /** Header names the Connection header lists (lowercase): hop-by-hop for this request. */
  readonly connectionTokens: readonly string[];
  readonly expectContinue: boolean;
  /** The client said `TE: trailers`: it takes trailer fields after a chunked answer. */
  readonly trailers: boolean;
  /** The first header line longer than MAX_LINE_BYTES, by name; undefined when all fit. */
  readonly oversizeHeader: string | undefined;
}

export function scanRequestHead(rawHeaders: readonly string[]): RequestHead {
  let host: string | undefined;
  let hostCount = 0;
  let accept: string | undefined;
  let contentLength: number | null = null;
  let chunked = false;
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let connectionTokens: string[] = [];
  let expectContinue = false;
  let trailers = false;
  let oversizeHeader: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    if (name.length + value.length + 2 > MAX_LINE_BYTES && oversizeHeader === undefined) oversizeHeader = name;
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === 'te' && clientTakesTrailers(tokens(value))) trailers = true;
        break;
      case 4:
        if (name.toLowerCase() === 'host') {
          hostCount += 1;
          host ??= value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'accept') accept = accept === undefined ? value : `${accept}, ${value}`;
        else if (name.toLowerCase() === 'expect') expectContinue = value.toLowerCase() === '100-continue';
        break;
      case 10:
        if (name.toLowerCase() === 'connection') connectionTokens = connectionTokens.concat(tokens(value));
        break;
      case 12:
        if (name.toLowerCase() === 'x-request-id') requestId ??= value;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') contentLength = Number(value);
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') chunked = true;
        break;
      default:
        break;
    }
  }
  // Node's parser ignores Content-Length when the body is chunked; so do we.
  if (chunked) contentLength = null;
  return { host, hostCount, accept, contentLength, chunked, requestId, forwardedFor, connectionTokens, expectContinue, trailers, oversizeHeader };
}

function tokens(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

/** `GET /path HTTP/1.1` longer than MAX_LINE_BYTES: 414 R414. */
export function requestLineTooLong(method: string, url: string): boolean {
  return method.length + url.length + 10 > MAX_LINE_BYTES;
}

/** The client's X-Request-Id when it is usable, else a new random one (a UUID). */
export function requestIdFor(sent: string | undefined): string {
  if (sent !== undefined && sent.length <= MAX_REQUEST_ID_LENGTH && REQUEST_ID.test(sent)) return sent;
  return randomUUID();
}

/**
 * Which limit an over-large head (Node's HPE_HEADER_OVERFLOW, past MAX_HEAD_BYTES) broke, from
 * `rawPacket`. Node hands over only the chunk that overflowed, so R414 is said only when that chunk
 * is the start of the request and its first line has no end within MAX_LINE_BYTES; otherwise the
 * head as a whole was too large: R431.
 */
export function overflowCode(rawPacket: Buffer | undefined): 'R414' | 'R431' {
  if (rawPacket === undefined || !/^[A-Z]+ \S/.test(rawPacket.subarray(0, 32).toString('latin1'))) return 'R431';
  const end = rawPacket.indexOf('\r\n');
  return end < 0 || end > MAX_LINE_BYTES ? 'R414' : 'R431';
}
