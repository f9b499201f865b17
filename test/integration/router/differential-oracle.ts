/**
 * The oracle of the differential tests: Node's own llhttp, exactly as node:http configures it
 * (strict: no lenient flags, Node's default header limit), driven directly through the parser
 * class node:http uses (`_http_common`'s HTTPParser) rather than through a node:http server and
 * client. Why directly: it is synchronous and deterministic (the same bytes give the same verdict,
 * with no sockets, timers or keep-alive logic in between), it reports the exact llhttp error code
 * and offset, and it parses a whole pipelined stream message by message, so the tests can say
 * "llhttp accepts the first two requests and rejects the third at byte 97".
 *
 * Also: the meaning of a message (what an app or a client relies on), so a message on one side of
 * the router can be compared with the same message on the other side.
 */
import { HOP_BY_HOP } from '../../../router/hop-by-hop';

/** The slice of node:http's internal parser binding used here (node/lib/_http_common.js). */
interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; reason?: string; bytesParsed?: number });
  finish(): undefined | (Error & { code?: string; reason?: string });
  [callback: number]: unknown;
}
interface HttpParserClass {
  new (): NodeHttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require('_http_common') as { HTTPParser: HttpParserClass; methods: string[] };
const { HTTPParser, methods: METHODS } = common;

/** One complete message as llhttp read it. */
export interface ParsedMessage {
  readonly method: string | null;
  readonly target: string | null;
  readonly status: number | null;
  readonly version: string;
  /** Raw [name, value, name, value, …], as llhttp hands them over. */
  readonly headers: readonly string[];
  readonly trailers: readonly string[];
  readonly body: Buffer;
  /** CONNECT or an Upgrade that llhttp honours: the bytes after this message are no longer HTTP. */
  readonly upgrade: boolean;
  readonly keepAlive: boolean;
}

export interface ParseError {
  readonly code: string;
  readonly reason: string;
  /** Bytes of the stream before the one llhttp stopped at. */
  readonly offset: number;
}

export interface ParseResult {
  /** Complete messages, in order. */
  readonly messages: readonly ParsedMessage[];
  /** Why llhttp refused the stream, or null. */
  readonly error: ParseError | null;
  /** An unfinished message follows the complete ones (its head is complete when `partialHead`). */
  readonly partial: boolean;
  readonly partialHead: boolean;
  /** Where the stream stopped being HTTP (after an upgrade), or null. */
  readonly upgradeOffset: number | null;
}

/**
 * Parses a byte stream incrementally, as node:http would: push() what arrives, end() at EOF.
 * For responses, `requestMethods` says what each response answers (HEAD and CONNECT change the
 * framing).
 */
export class StreamParser {
  private readonly parser = new HTTPParser();
  private readonly done: ParsedMessage[] = [];
  private failure: ParseError | null = null;
  private consumed = 0;
  private upgradedAt: number | null = null;
  private inMessage = false;
  private headComplete = false;
  private pendingHeaders: string[] = [];
  private pendingTarget = '';
  private current: { head: Omit<ParsedMessage, 'body' | 'trailers'>; body: Buffer[]; trailers: string[] } | null = null;
  private finalResponses = 0;

  constructor(
    readonly kind: 'request' | 'response',
    private readonly requestMethods: readonly string[] = [],
    private readonly onMessage: (message: ParsedMessage) => void = () => undefined,
  ) {
    this.parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
    this.parser[HTTPParser.kOnMessageBegin] = () => {
      this.inMessage = true;
    };
    this.parser[HTTPParser.kOnHeaders] = (headers: string[], target: string) => {
      // Many header lines (or trailers) arrive in batches before (or instead of) headers-complete.
      if (this.headComplete) this.current?.trailers.push(...headers);
      else {
        this.pendingHeaders.push(...headers);
        this.pendingTarget += target ?? '';
      }
    };
    this.parser[HTTPParser.kOnHeadersComplete] = (
      major: number, minor: number, headers: string[] | undefined, method: number | undefined, target: string | undefined,
      status: number | undefined, _reason: string | undefined, upgrade: boolean, keepAlive: boolean,
    ): number => {
      this.headComplete = true;
      const all = [...this.pendingHeaders, ...(headers ?? [])];
      this.current = {
        head: {
          method: method === undefined ? null : (METHODS[method] ?? null),
          target: kind === 'request' ? this.pendingTarget + (target ?? '') : null,
          status: status ?? null,
          version: `${major}.${minor}`,
          headers: all,
          upgrade,
          keepAlive,
        },
        body: [],
        trailers: [],
      };
      this.pendingHeaders = [];
      this.pendingTarget = '';
      if (kind === 'response') {
        const answered = this.requestMethods[this.finalResponses];
        const interim = status !== undefined && status >= 100 && status < 200 && status !== 101;
        if (!interim) this.finalResponses += 1;
        if (answered === 'HEAD') return 1; // no body, whatever the head says
      }
      return 0;
    };
    this.parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
      this.current?.body.push(Buffer.from(chunk));
    };
    this.parser[HTTPParser.kOnMessageComplete] = () => {
      const current = this.current;
      this.inMessage = false;
      this.headComplete = false;
      this.current = null;
      if (!current) return;
      // Trailers come through kOnHeaders after the body, before this call.
      const message: ParsedMessage = { ...current.head, body: Buffer.concat(current.body), trailers: current.trailers };
      this.done.push(message);
      this.onMessage(message);
    };
  }

  /** Feeds the next bytes of the stream (ignored once llhttp has refused it or it was upgraded). */
  push(chunk: Buffer): void {
    if (this.failure !== null || this.upgradedAt !== null || chunk.length === 0) return;
    const result = this.parser.execute(chunk);
    if (typeof result !== 'number') {
      this.failure = { code: result.code ?? 'HPE_UNKNOWN', reason: result.reason ?? result.message, offset: this.consumed + (result.bytesParsed ?? 0) };
      return;
    }
    // After an upgrade llhttp stops: what it did not consume is no longer HTTP.
    if (this.done[this.done.length - 1]?.upgrade === true && this.current === null) this.upgradedAt = this.consumed + result;
    this.consumed += result;
  }

  /** The stream ended (the peer closed): a response read until close is complete now. */
  end(): void {
    if (this.failure !== null || this.upgradedAt !== null) return;
    // An unfinished message at EOF is a truncation, not a grammar error: it stays `partial`.
    this.parser.finish();
  }

  result(): ParseResult {
    return {
      messages: [...this.done],
      error: this.failure,
      partial: this.failure === null && this.upgradedAt === null && this.inMessage,
      partialHead: this.current !== null,
      upgradeOffset: this.upgradedAt,
    };
  }

  get messages(): readonly ParsedMessage[] {
    return this.done;
  }

  get error(): ParseError | null {
    return this.failure;
  }
}

/** What llhttp makes of a whole request stream (a client's bytes), as a node:http server would. */
export function parseRequests(bytes: Buffer): ParseResult {
  const parser = new StreamParser('request');
  parser.push(bytes);
  return parser.result();
}

/** What llhttp makes of a whole response stream answering `requestMethods`, as node:http's client would. */
export function parseResponses(bytes: Buffer, requestMethods: readonly string[], ended: boolean): ParseResult {
  const parser = new StreamParser('response', requestMethods);
  parser.push(bytes);
  if (ended) parser.end();
  return parser.result();
}

/** An interim (1xx) answer other than 101: not the final answer to a request. */
export function isInterim(message: ParsedMessage): boolean {
  return message.status !== null && message.status >= 100 && message.status < 200 && message.status !== 101;
}

// ---------------------------------------------------------------- meaning

/**
 * Headers that describe a connection or the framing, or that the router sets itself: they may
 * differ on the two sides of a proxy without changing what a message means.
 */
const NOT_MEANING: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host', // compared as the request's authority
  'content-length', // the body is compared instead
  'expect', // hop by hop in practice: the router answers 100-continue itself
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-request-id',
]);

/** The fields of a raw header list that carry meaning, lowercase names and trimmed values, in order. */
export function meaningfulHeaders(raw: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] as string).split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (NOT_MEANING.has(name) || name.startsWith('x-slipway-')) continue;
    if (listed.has(name) && name !== 'content-length' && name !== 'transfer-encoding' && name !== 'host') continue;
    out.push(`${name}: ${(raw[i + 1] as string).trim()}`);
  }
  return out;
}

function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name) return (raw[i + 1] as string).trim();
  return undefined;
}

export interface RequestMeaning {
  readonly method: string;
  /** Whose request it is (RFC 9112 §3.3: the absolute-form target's authority wins over Host). */
  readonly authority: string;
  readonly path: string;
  readonly headers: readonly string[];
  /** latin1, so every byte shows. */
  readonly body: string;
}

/** What an app relies on in a request: method, effective target, fields, decoded body. */
export function requestMeaning(message: ParsedMessage): RequestMeaning {
  const target = message.target ?? '';
  const absolute = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(target);
  const authority = (absolute ? (absolute[2] as string) : (headerValue(message.headers, 'host') ?? '')).toLowerCase();
  const path = absolute ? ((absolute[3] as string) === '' ? '/' : (absolute[3] as string)) : target;
  return { method: message.method ?? '', authority, path, headers: meaningfulHeaders(message.headers), body: message.body.toString('latin1') };
}

export interface ResponseMeaning {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: string;
}

/** What a client relies on in a response: status, fields (Date aside when the app sent none), body. */
export function responseMeaning(message: ParsedMessage, appSentDate = true): ResponseMeaning {
  const headers = meaningfulHeaders(message.headers).filter((line) => appSentDate || !line.startsWith('date: '));
  return { status: message.status ?? 0, headers, body: message.body.toString('latin1') };
}

/** The authority (host name, lowercase, port dropped) a request is routed by. */
export function routedHost(meaning: RequestMeaning): string {
  return meaning.authority.replace(/:\d*$/, '');
}
