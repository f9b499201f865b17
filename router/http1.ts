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
 * - A chunked body is read to its grammar by router/chunked-body.ts.
 *
 * Everything works on latin1 strings: one byte per character, so what is written back out (with
 * 'latin1') is byte for byte what came in.
 */
import { clientTakesTrailers, HOP_BY_HOP, NEVER_DROPPED, needsZeroLength, REPLACED_ON_REQUEST, responseHasNoBody, UNREQUESTED_SWITCH } from './proxy-policy';
import { METHODS } from 'node:http';
import { TARGET_CHARS, TOKEN_CHARS, VALUE_CHARS } from './http-grammar';
import { MAX_HEAD_BYTES, MAX_LINE_BYTES } from './request-head';

const MAX_CONTENT_LENGTH_DIGITS = 15;

/** One header line of a head decoded as latin1: where its name, value and end are. */
interface HeaderLine {
  readonly start: number;
  /** Index of the colon: the name is text.slice(start, colon). */
  readonly colon: number;
  /** The value without surrounding spaces and tabs. */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** Index of the line's CR. */
  readonly end: number;
}

/**
 * The header lines of `text` (a head without its final blank line) from `from` on, each checked
 * character by character: a token name right before the colon, a value without CR, LF or other
 * controls, no line longer than `maxLine`. A string says what was wrong. No regular expressions
 * and no split: this runs for every request and every response the fast path carries.
 */
function readHeaderLines(text: string, from: number, maxLine: number): HeaderLine[] | string {
  const lines: HeaderLine[] = [];
  const length = text.length;
  let start = from;
  while (start < length) {
    let end = text.indexOf('\r\n', start);
    if (end < 0) end = length;
    if (end - start > maxLine) return 'header line over the limit';
    let i = start;
    while (i < end && TOKEN_CHARS[text.charCodeAt(i)] === 1) i += 1;
    if (i === start || i === end || text.charCodeAt(i) !== 0x3a /* : */) return 'header name';
    const colon = i;
    for (i = colon + 1; i < end; i += 1) if (VALUE_CHARS[text.charCodeAt(i)] !== 1) return 'header value';
    let valueStart = colon + 1;
    while (valueStart < end && isSpace(text.charCodeAt(valueStart))) valueStart += 1;
    let valueEnd = end;
    while (valueEnd > valueStart && isSpace(text.charCodeAt(valueEnd - 1))) valueEnd -= 1;
    lines.push({ start, colon, valueStart, valueEnd, end });
    start = end + 2;
  }
  return lines;
}

/** The value of a Content-Length line not yet ended, from `from` (after the colon): null while it may still be ` 123`. */
function partialPlainLength(line: string, from: number): string | null {
  if (from === line.length) return null;
  if (line.charCodeAt(from) !== 0x20) return 'Content-Length';
  let i = from + 1;
  while (i < line.length && line.charCodeAt(i) >= 0x30 && line.charCodeAt(i) <= 0x39) i += 1;
  if (i === line.length) return null;
  return i > from + 1 && i === line.length - 1 && line.charCodeAt(i) === 0x0d ? null : 'Content-Length';
}

/** `Content-Length: 123`: one space, digits only, nothing after them. */
function plainContentLength(text: string, line: HeaderLine): boolean {
  if (line.valueStart !== line.colon + 2 || text.charCodeAt(line.colon + 1) !== 0x20 || line.valueEnd !== line.end) return false;
  return isDigits(text, line.valueStart, line.valueEnd);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * The lower-case name of a header line if it is one either parser acts on, else ''. Compared in
 * place, without slicing or lower-casing the name: most lines of a head are none of these.
 */
function interestingName(text: string, line: HeaderLine): string {
  const candidates = NAMES_BY_LENGTH[line.colon - line.start];
  if (candidates === undefined) return '';
  for (const name of candidates) if (sameNameIgnoringCase(text, line.start, name)) return name;
  return '';
}

/**
 * Whether the token at `start` in `text` is `name` (lower case: letters, digits and '-') in any
 * case. Setting bit 0x20 lower-cases a letter and leaves '-' and digits as they are; no other
 * token character maps onto one of those.
 */
function sameNameIgnoringCase(text: string, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i += 1) if ((text.charCodeAt(start + i) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** Every header name either parser acts on (hop-by-hop ones included), by length. */
const NAMES_BY_LENGTH: Array<readonly string[] | undefined> = [];
for (const name of new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'upgrade', 'http2-settings', 'connection', 'accept', 'x-request-id', 'x-forwarded-for', ...HOP_BY_HOP, ...REPLACED_ON_REQUEST])) {
  NAMES_BY_LENGTH[name.length] = [...(NAMES_BY_LENGTH[name.length] ?? []), name];
}

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
  /** The client said `TE: trailers`: it takes trailer fields after a chunked body. */
  readonly trailers: boolean;
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
  const end = buffer.indexOf(HEAD_END);
  if (end < 0) {
    if (buffer.length > MAX_HEAD_BYTES) return fallback('head over the limit');
    // A head with lines ended by a bare LF never gets its CRLF CRLF: llhttp refuses it at once.
    if (hasBareLf(buffer)) return fallback('bare LF');
    // Nor does llhttp wait for the end of a head whose lines so far it refuses (a method it does
    // not know is refused at its first byte): what the fast path would hand over anyway goes now,
    // so the client gets its 400 at once instead of waiting for a head that never ends.
    const broken = brokenSoFar(buffer);
    return broken === null ? INCOMPLETE : fallback(broken);
  }
  if (end + 4 > MAX_HEAD_BYTES) return fallback('head over the limit');
  const text = buffer.toString('latin1', 0, end);
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const line = readRequestLine(text, lineEnd);
  if (typeof line === 'string') return fallback(line);
  const { method, target } = line;

  const lines = readHeaderLines(text, lineEnd + 2, MAX_LINE_BYTES);
  if (typeof lines === 'string') return fallback(lines);
  let host: string | undefined;
  let accept: string | undefined;
  let contentLength: string | undefined;
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let connectionTokens: string[] | null = null;
  let trailers = false;
  /** Lines not passed on (hop-by-hop, or set by the router); null while there are none. */
  let dropped: boolean[] | null = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as HeaderLine;
    const name = interestingName(text, line);
    if (name === '') continue;
    const value = (): string => text.slice(line.valueStart, line.valueEnd);
    switch (name) {
      case 'host':
        if (host !== undefined) return fallback('several Host headers');
        host = value();
        break;
      case 'content-length':
        // Only `Content-Length: 123` (one space, no other whitespace): llhttp takes some
        // whitespace around the value and refuses other, so anything else is its to judge.
        if (contentLength !== undefined || !plainContentLength(text, line)) return fallback('Content-Length');
        contentLength = value();
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
      case 'http2-settings':
        return fallback(name);
      case 'connection':
        connectionTokens = connectionTokens === null ? listTokens(value()) : connectionTokens.concat(listTokens(value()));
        break;
      case 'te':
        if (clientTakesTrailers(listTokens(value()))) trailers = true;
        break;
      case 'accept':
        accept = accept === undefined ? value() : `${accept}, ${value()}`;
        break;
      case 'x-request-id':
        requestId ??= value();
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value() : `${forwardedFor}, ${value()}`;
        break;
      default:
        break;
    }
    if (HOP_BY_HOP.has(name) || REPLACED_ON_REQUEST.has(name)) (dropped ??= new Array<boolean>(lines.length).fill(false))[index] = true;
  }
  if (host === undefined) return fallback('no Host header');
  if (connectionTokens !== null) {
    if (connectionTokens.includes('upgrade')) return fallback('upgrade');
  }
  const namedHops = namedHopHeaders(connectionTokens);
  if (namedHops.length > 0) {
    for (let index = 0; index < lines.length; index += 1) {
      if (isNamedHop(text, lines[index] as HeaderLine, namedHops)) (dropped ??= new Array<boolean>(lines.length).fill(false))[index] = true;
    }
  }

  let forwardedHead = dropped === null ? text : keptLines(text, lines, dropped);
  const length = contentLength === undefined ? 0 : Number(contentLength);
  if (contentLength === undefined && needsZeroLength(method)) forwardedHead += '\r\nContent-Length: 0';
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
      trailers,
      forwardedHead,
      headBytes: end + 4,
    },
  };
}

/** `METHOD SP /origin-form SP HTTP/1.1`, the line being text[0, lineEnd); a string says what was wrong. */
function readRequestLine(text: string, lineEnd: number): { readonly method: string; readonly target: string } | string {
  if (lineEnd > MAX_LINE_BYTES) return 'request line over the limit';
  let i = 0;
  while (i < lineEnd && TOKEN_CHARS[text.charCodeAt(i)] === 1) i += 1;
  if (i === 0 || text.charCodeAt(i) !== 0x20) return 'request line';
  const method = text.slice(0, i);
  // Only methods llhttp knows, in their case (`get`, `MKCOLA` are refused there): what the
  // fast path carries, both parsers must read the same way.
  if (!CARRIED_METHODS.has(method)) return 'method';
  const targetStart = i + 1;
  i = targetStart;
  while (i < lineEnd && TARGET_CHARS[text.charCodeAt(i)] === 1) i += 1;
  if (text.charCodeAt(targetStart) !== 0x2f /* / */ || text.charCodeAt(i) !== 0x20) return 'request line';
  if (lineEnd - i - 1 !== 8 || !text.startsWith('HTTP/1.1', i + 1)) return 'not HTTP/1.1';
  return { method, target: text.slice(targetStart, i) };
}

/**
 * Why the start of a head not yet complete will be handed over, or null while it may still be
 * carried: its complete lines (request line, header lines) are checked as they will be once the
 * head is whole, and a method is checked as soon as the space after it has arrived.
 */
function brokenSoFar(buffer: Buffer): string | null {
  for (let cr = buffer.indexOf(0x0d); cr >= 0 && cr + 1 < buffer.length; cr = buffer.indexOf(0x0d, cr + 1)) if (buffer[cr + 1] !== 0x0a) return 'bare CR';
  const complete = buffer.lastIndexOf(LINE_END);
  if (complete < 0) {
    const space = buffer.indexOf(0x20);
    // llhttp refuses a method at its first byte that no method it knows continues with (`abc`),
    // so that is known before the space comes, and may never come.
    if (space < 0) return METHOD_PREFIXES.has(buffer.toString('latin1', 0, Math.min(buffer.length, LONGEST_METHOD + 1))) ? null : 'method';
    const method = buffer.toString('latin1', 0, space);
    if (!CARRIED_METHODS.has(method)) return 'method';
    return partialRequestLine(buffer.toString('latin1', space + 1, Math.min(buffer.length, MAX_LINE_BYTES + 2)));
  }
  const text = buffer.toString('latin1', 0, complete);
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const line = readRequestLine(text, lineEnd);
  if (typeof line === 'string') return line;
  const lines = readHeaderLines(text, lineEnd + 2, MAX_LINE_BYTES);
  if (typeof lines === 'string') return lines;
  // A Content-Length the fast path would hand over anyway goes now: llhttp refuses some at once
  // (an empty one at its line end), before the head is complete.
  for (const line of lines) if (interestingName(text, line) === 'content-length' && !plainContentLength(text, line)) return 'Content-Length';
  return partialHeaderLine(buffer.toString('latin1', complete + 2, Math.min(buffer.length, complete + 2 + MAX_LINE_BYTES + 2)));
}

/**
 * A header line not yet ended: null while it may still become `token ":" value` (or the blank
 * line), else why not (llhttp refuses a bad name or value at its first wrong byte).
 */
function partialHeaderLine(line: string): string | null {
  let i = 0;
  while (i < line.length && TOKEN_CHARS[line.charCodeAt(i)] === 1) i += 1;
  if (i === line.length) return null;
  if (i === 0) return line === '\r' ? null : 'header name';
  if (line.charCodeAt(i) !== 0x3a /* : */) return 'header name';
  if (i === 14 && line.slice(0, 14).toLowerCase() === 'content-length') return partialPlainLength(line, 15);
  for (i += 1; i < line.length; i += 1) {
    if (VALUE_CHARS[line.charCodeAt(i)] === 1) continue;
    if (i === line.length - 1 && line.charCodeAt(i) === 0x0d) return null;
    return 'header value';
  }
  return null;
}

/**
 * The rest of a request line not yet ended (after the method and its space): null while it may
 * still become `/origin-form SP HTTP/1.1`, else why not (llhttp refuses a bad version at its
 * first wrong byte, so the client would otherwise wait for a line end that never comes).
 */
function partialRequestLine(rest: string): string | null {
  if (rest.length === 0) return null;
  if (rest.charCodeAt(0) !== 0x2f /* / */) return 'request line';
  let i = 1;
  while (i < rest.length && TARGET_CHARS[rest.charCodeAt(i)] === 1) i += 1;
  if (i === rest.length) return null;
  if (rest.charCodeAt(i) !== 0x20) return 'request line';
  const version = rest.slice(i + 1);
  return VERSION_LINE_END.startsWith(version) ? null : 'not HTTP/1.1';
}
const VERSION_LINE_END = 'HTTP/1.1\r';

const LINE_END = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** The methods llhttp parses, but CONNECT (a tunnel, which the router refuses: router/proxy.ts). */
const CARRIED_METHODS: ReadonlySet<string> = new Set(METHODS.filter((method) => method !== 'CONNECT'));
/** Every start of a method llhttp parses (CONNECT too: llhttp reads it, the router answers it). */
const METHOD_PREFIXES: ReadonlySet<string> = new Set(METHODS.flatMap((method) => Array.from({ length: method.length }, (_, n) => method.slice(0, n + 1))));
const LONGEST_METHOD = Math.max(...METHODS.map((method) => method.length));

function hasBareLf(buffer: Buffer): boolean {
  for (let lf = buffer.indexOf(0x0a); lf >= 0; lf = buffer.indexOf(0x0a, lf + 1)) if (lf === 0 || buffer[lf - 1] !== 0x0d) return true;
  return false;
}

/**
 * `text` without its dropped header lines: the kept runs of lines are sliced whole, so a head with
 * one dropped line is two slices, not one piece per line.
 */
function keptLines(text: string, lines: readonly HeaderLine[], dropped: readonly boolean[]): string {
  let out = '';
  /** Where the current run of kept text starts (the CRLF before a line belongs to the line). */
  let runStart = 0;
  for (let index = 0; index < lines.length; index += 1) {
    if (dropped[index] !== true) continue;
    const line = lines[index] as HeaderLine;
    out += text.slice(runStart, line.start - 2);
    runStart = line.end;
  }
  return out + text.slice(runStart);
}

function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_CONTENT_LENGTH_DIGITS) return false;
  for (let i = start; i < end; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

function hasTab(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (text.charCodeAt(i) === 0x09) return true;
  return false;
}

function fallback(reason: string): RequestHeadResult {
  return { kind: 'fallback', reason };
}

/** The header names a Connection header lists besides keep-alive and close: hop-by-hop too. */
function namedHopHeaders(connectionTokens: readonly string[] | null): readonly string[] {
  return connectionTokens === null ? [] : connectionTokens.filter((token) => token !== 'keep-alive' && token !== 'close');
}

/** Whether a header line is one of `namedHops` (the message's own framing headers never count). */
function isNamedHop(text: string, line: HeaderLine, namedHops: readonly string[]): boolean {
  const name = text.slice(line.start, line.colon).toLowerCase();
  return namedHops.includes(name) && !NEVER_DROPPED.has(name);
}

function listTokens(value: string): string[] {
  // Mostly one token (`keep-alive`, `close`), already without surrounding spaces.
  if (!value.includes(',')) return value === '' ? [] : [value.toLowerCase()];
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

/** Reads the response head at the start of `buffer`; `headRequest`: the request was HEAD (no body follows). */
export function parseResponseHead(buffer: Buffer, headRequest: boolean): ResponseHeadResult {
  const end = buffer.indexOf(HEAD_END);
  if (end < 0) return buffer.length > MAX_HEAD_BYTES ? invalid('response head too large') : RESPONSE_INCOMPLETE;
  const text = buffer.toString('latin1', 0, end);
  let statusEnd = text.indexOf('\r\n');
  if (statusEnd < 0) statusEnd = text.length;
  // `HTTP/1.x NNN reason`: the reason is optional and may hold anything but controls.
  if (!text.startsWith('HTTP/1.') || statusEnd < 12 || text.charCodeAt(8) !== 0x20 || (statusEnd > 12 && text.charCodeAt(12) !== 0x20)) return invalid('status line');
  const minor = text.charCodeAt(7);
  if ((minor !== 0x30 && minor !== 0x31) || !isDigits(text, 9, 12)) return invalid('status line');
  for (let i = 13; i < statusEnd; i += 1) if (VALUE_CHARS[text.charCodeAt(i)] !== 1) return invalid('status line');
  const status = Number(text.slice(9, 12));
  if (status < 100) return invalid('status code');
  // 101 only answers an Upgrade, which never takes the fast path.
  if (status === 101) return invalid(UNREQUESTED_SWITCH);
  // An interim head is dropped, but read to the same grammar first: a broken one (or a status
  // line where a field line should be) means the app and a strict parser disagree about where
  // its messages end, so nothing after it can be trusted.
  const lines = readHeaderLines(text, statusEnd + 2, MAX_HEAD_BYTES);
  if (typeof lines === 'string') return invalid(lines);
  if (status < 200) return { kind: 'interim', headBytes: end + 4 };
  const http10 = minor === 0x30;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let connectionTokens: string[] | null = null;
  let dropped: boolean[] | null = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as HeaderLine;
    const name = interestingName(text, line);
    if (name === '') continue;
    const value = text.slice(line.valueStart, line.valueEnd);
    if (name === 'content-length') {
      // Several, even with one value, are refused as llhttp refuses them: two parsers of one
      // response must never disagree about where it ends.
      // (A tab after the digits too: llhttp refuses it, though it takes one before them.)
      if (!isDigits(text, line.valueStart, line.valueEnd) || contentLength !== undefined || hasTab(text, line.valueEnd, line.end)) return invalid('Content-Length');
      contentLength = value;
    } else if (name === 'transfer-encoding') {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    } else if (name === 'connection') {
      connectionTokens = connectionTokens === null ? listTokens(value) : connectionTokens.concat(listTokens(value));
    }
    if (HOP_BY_HOP.has(name) || name === 'x-request-id') (dropped ??= new Array<boolean>(lines.length).fill(false))[index] = true;
  }
  // Both framings at once is a smuggling attempt or a broken app (RFC 9112 §6.3): refused, as llhttp does.
  if (transferEncoding !== undefined && contentLength !== undefined) return invalid('Transfer-Encoding with Content-Length');
  const chunked = transferEncoding !== undefined && lastCoding(transferEncoding) === 'chunked';
  let framing: BodyFraming;
  if (responseHasNoBody(headRequest, status)) framing = NO_BODY;
  else if (transferEncoding !== undefined) framing = chunked ? CHUNKED : UNTIL_CLOSE;
  else if (contentLength !== undefined) framing = Number(contentLength) === 0 ? NO_BODY : { kind: 'length', length: Number(contentLength) };
  else framing = UNTIL_CLOSE;

  const namedHops = namedHopHeaders(connectionTokens);
  if (namedHops.length > 0) {
    for (let index = 0; index < lines.length; index += 1) {
      if (isNamedHop(text, lines[index] as HeaderLine, namedHops)) (dropped ??= new Array<boolean>(lines.length).fill(false))[index] = true;
    }
  }
  // The status line is rewritten as HTTP/1.1 (the router speaks 1.1 to the client).
  let clientHead = dropped === null ? text : keptLines(text, lines, dropped);
  if (http10) clientHead = `HTTP/1.1${clientHead.slice(8)}`;
  // The chunks are passed on as they are, so the client is told they are chunks.
  if (chunked) clientHead += '\r\nTransfer-Encoding: chunked';
  const closes = connectionTokens !== null && connectionTokens.includes('close');
  const keepsAlive = http10 ? connectionTokens !== null && connectionTokens.includes('keep-alive') : !closes;
  return {
    kind: 'response',
    head: { status, clientHead, framing, reusable: keepsAlive && framing.kind !== 'close', headBytes: end + 4 },
  };
}

const NO_BODY: BodyFraming = { kind: 'none' };
const CHUNKED: BodyFraming = { kind: 'chunked' };
const UNTIL_CLOSE: BodyFraming = { kind: 'close' };

function invalid(reason: string): ResponseHeadResult {
  return { kind: 'invalid', reason };
}

function lastCoding(transferEncoding: string): string {
  const codings = transferEncoding.split(',');
  return (codings[codings.length - 1] as string).trim().toLowerCase();
}
