/**
 * The differential harness: sends bytes through a router started in this process and compares
 * what reaches the other side with what llhttp (differential-oracle.ts) makes of the same bytes.
 * Used by the corpus suite (differential.test.ts) and by the fuzzer (test/fuzz/differential.ts).
 *
 * Requests: a client writes a case's bytes (whole, or in small pieces with a turn of the event loop
 * between them) to the router; recording apps parse what reaches them with llhttp and answer each
 * complete request. Responses: a client sends one request, an app answers with the case's bytes,
 * then the client sends a second request on the same connection if it is still open.
 *
 * The invariants (each broken one is reported as a line of text):
 * - the router never emits bytes llhttp rejects, to an app or to a client;
 * - the complete requests an app receives are, in order, the same in meaning (method, effective
 *   target, fields, decoded body) as the complete requests llhttp reads from the client's bytes
 *   before anything it rejects, and reach the app that owns the target's authority;
 * - a request llhttp accepts reaches its app (unless the case says why the router may refuse it),
 *   and a request that does not reach its app gets an answer (never a silent close);
 * - if llhttp accepts an app's response, the client gets the same status, fields and body; if
 *   llhttp rejects it, no part of it after the point of rejection reaches the client: the client
 *   gets a router error (502) or, when the head was already passed on, a cut-off message and a
 *   closed connection; and the next request on the connection gets its own answer.
 */
import net from 'node:net';
import tls from 'node:tls';
import { type RawServer, startRawServer, startRouterFixture, type RouterFixture, type SocketKind } from '../../support/router-fixture';
import {
  isInterim,
  type ParsedMessage,
  parseRequests,
  parseResponses,
  type ParseResult,
  requestMeaning,
  responseMeaning,
  routedHost,
  StreamParser,
} from './differential-oracle';

/** How a client reaches the router: plain HTTP on either socket kind (the fast path), or HTTPS (the full proxy). */
export type Transport = 'native' | 'node' | 'tls';
export const TRANSPORTS: readonly Transport[] = ['native', 'node', 'tls'];
/** Whole: one write. Pieces: writes of 1–7 bytes, the event loop turning between them. */
export type Split = 'whole' | 'pieces';
export const SPLITS: readonly Split[] = ['whole', 'pieces'];

export interface RequestCase {
  readonly name: string;
  /** The rule or attack it exercises (RFC 9112 section, or the vector's name). */
  readonly rule: string;
  /** The client's bytes (a latin1 string, so any byte can be written). */
  readonly bytes: string;
  /** Why the router may refuse a request llhttp accepts (a deliberate difference), if it may. */
  readonly routerMayRefuse?: string;
}

export interface ResponseCase {
  readonly name: string;
  readonly rule: string;
  /** The client's first request; default `GET /case` for answers.test. */
  readonly request?: string;
  /** What the app writes in answer, in order; `delayMs` waits before that segment. */
  readonly segments: ReadonlyArray<{ readonly bytes: string; readonly delayMs?: number }>;
  /** The app closes the connection after writing. */
  readonly close?: boolean;
  /** Why the router may refuse (502) a response llhttp accepts, if it may. */
  readonly routerMayRefuse?: string;
}

/** Hosts → apps of the fixture. */
const HOSTS: Readonly<Record<string, string>> = { 'shop.test': 'shop', 'other.test': 'other', 'answers.test': 'answers' };
export const DEFAULT_RESPONSE_REQUEST = 'GET /case HTTP/1.1\r\nHost: answers.test\r\n\r\n';
const SECOND_REQUEST = 'GET /second HTTP/1.1\r\nHost: answers.test\r\n\r\n';
const SECOND_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Answer: second\r\n\r\nsecond';

interface Delivered {
  readonly app: string;
  readonly message: ParsedMessage;
}

/** The apps behind the router: they record what reaches them (requests) or answer with a case (responses). */
class Apps {
  delivered: Delivered[] = [];
  /** Grammar errors in what the router sent an app (each one a broken invariant). */
  appErrors: string[] = [];
  responseCase: ResponseCase | null = null;
  split: Split = 'whole';
  readonly servers: RawServer[] = [];

  recorder(app: string): (socket: net.Socket) => void {
    return (socket) => {
      const parser = new StreamParser('request', [], (message) => {
        this.delivered.push({ app, message });
        const close = !message.keepAlive || message.upgrade;
        const body = message.method === 'HEAD' ? '' : 'ok';
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: ${app}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`);
        if (close) socket.end();
      });
      socket.on('data', (chunk: Buffer) => {
        parser.push(chunk);
        if (parser.error) {
          this.appErrors.push(`${app} got bytes llhttp rejects: ${parser.error.code} (${parser.error.reason}) at byte ${parser.error.offset}`);
          socket.destroy();
        }
      });
    };
  }

  responder(): (socket: net.Socket) => void {
    return (socket) => {
      const parser = new StreamParser('request', [], (message) => {
        const answering = this.responseCase;
        if (message.target !== '/case' || answering === null) {
          socket.write(SECOND_ANSWER);
          return;
        }
        void this.writeCase(socket, answering);
      });
      socket.on('data', (chunk: Buffer) => {
        parser.push(chunk);
        if (parser.error) {
          this.appErrors.push(`answers got bytes llhttp rejects: ${parser.error.code} (${parser.error.reason})`);
          socket.destroy();
        }
      });
    };
  }

  private async writeCase(socket: net.Socket, answering: ResponseCase): Promise<void> {
    for (const segment of answering.segments) {
      // The app's own pace (the desync repro writes its fake response 150 ms later): not a wait for the router.
      if (segment.delayMs) await new Promise((resolve) => setTimeout(resolve, segment.delayMs));
      if (socket.destroyed) return;
      await writeSplit(socket, Buffer.from(segment.bytes, 'latin1'), this.split);
    }
    if (answering.close && !socket.destroyed) socket.end();
  }
}

/** Writes `bytes` whole, or in pieces of 1–7 bytes with the event loop turning between them. */
async function writeSplit(socket: net.Socket, bytes: Buffer, split: Split): Promise<void> {
  if (split === 'whole') {
    socket.write(bytes);
    return;
  }
  const sizes = [1, 2, 3, 1, 5, 7, 2];
  for (let offset = 0, i = 0; offset < bytes.length; i += 1) {
    if (socket.destroyed || !socket.writable) return;
    const size = sizes[i % sizes.length] as number;
    socket.write(bytes.subarray(offset, offset + size));
    offset += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A client connection that collects what the router answers. */
class Client {
  private readonly chunks: Buffer[] = [];
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly socket: net.Socket,
    readonly localAddress: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects from `localAddress` (any of 127/8), which tells this client's requests apart at the apps. */
  static async open(transport: Transport, fixture: RouterFixture, localAddress: string): Promise<Client> {
    const socket =
      transport === 'tls'
        ? tls.connect({ socket: net.connect({ host: '127.0.0.1', port: fixture.httpsPort, localAddress }), servername: 'shop.test', rejectUnauthorized: false })
        : net.connect({ host: '127.0.0.1', port: fixture.port, localAddress });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new Client(socket, localAddress);
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves once `done()` holds or the connection closed (true), or after `deadlineMs` (false). */
  settle(done: () => boolean, deadlineMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.closed && !done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      // The deadline bounds a router that never answers (itself a finding), not a wait for success.
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, deadlineMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The client address the router put last in X-Forwarded-For, or null if it put none. */
function sentBy(message: ParsedMessage): string | null {
  let last: string | null = null;
  for (let i = 0; i < message.headers.length; i += 2) {
    if ((message.headers[i] as string).toLowerCase() === 'x-forwarded-for') last = (message.headers[i + 1] as string).split(',').pop()?.trim() ?? null;
  }
  return last;
}

function finalResponses(result: ParseResult): ParsedMessage[] {
  return result.messages.filter((message) => !isInterim(message));
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

export interface Outcome {
  /** Broken invariants, one line each; empty when the router agreed with llhttp. */
  readonly violations: string[];
  /**
   * The router refused (with an answer) what llhttp accepts and the case gives no reason: safe,
   * but a difference to document (the corpus suite counts it as a violation too; the fuzzer keeps
   * it apart, for the survey of where the router is stricter).
   */
  readonly stricter: string[];
  /** A readable account of what happened, for the failure message. */
  readonly account: string;
}

/** A router with its apps, ready to run cases on any transport. */
export class DifferentialRig {
  private constructor(
    private readonly apps: Apps,
    private readonly fixture: RouterFixture,
    readonly deadlineMs: number,
  ) {}

  private crashes: string[] = [];
  private exchanges = 0;

  /** A loopback address of its own for each exchange (127.1.0.1, 127.1.0.2, …). */
  private nextAddress(): string {
    this.exchanges += 1;
    const n = this.exchanges % 65_000;
    return `127.1.${n >> 8}.${(n & 255) || 1}`;
  }
  /** An exception the router let escape (it would end a router process) is a finding of the exchange it happened in. */
  private readonly onUncaught = (error: Error): void => {
    this.crashes.push(`the router threw an uncaught exception (a router process would exit): ${error.stack ?? String(error)}`);
  };

  private takeCrashes(): string[] {
    const crashes = this.crashes;
    this.crashes = [];
    return crashes;
  }

  /** Starts the apps and a router whose plain port runs on `sockets` (its HTTPS port is the full proxy). */
  static async start(sockets: SocketKind, deadlineMs = 2000): Promise<DifferentialRig> {
    const apps = new Apps();
    const shop = await startRawServer(apps.recorder('shop'));
    const other = await startRawServer(apps.recorder('other'));
    const answers = await startRawServer(apps.responder());
    apps.servers.push(shop, other, answers);
    const fixture = await startRouterFixture({
      sockets,
      apps: {
        shop: { hosts: ['shop.test'], url: shop.url },
        other: { hosts: ['other.test'], url: other.url },
        answers: { hosts: ['answers.test'], url: answers.url },
      },
    });
    const rig = new DifferentialRig(apps, fixture, deadlineMs);
    process.on('uncaughtException', rig.onUncaught);
    return rig;
  }

  async close(): Promise<void> {
    process.off('uncaughtException', this.onUncaught);
    await this.fixture.close();
    for (const server of this.apps.servers) await server.close();
  }

  /** Runs one request case and checks the invariants. */
  async request(transport: Transport, testCase: Pick<RequestCase, 'bytes' | 'routerMayRefuse'>, split: Split): Promise<Outcome> {
    const input = Buffer.from(testCase.bytes, 'latin1');
    const oracle = parseRequests(input);
    // What the router is expected to serve: llhttp's complete requests up to one after which the
    // connection ends (Connection: close, HTTP/1.0, an upgrade).
    const accepted: ParsedMessage[] = [];
    for (const message of oracle.messages) {
      accepted.push(message);
      if (!message.keepAlive || message.upgrade) break;
    }
    const last = accepted[accepted.length - 1];
    const connectionEnds = last !== undefined && (!last.keepAlive || last.upgrade);
    const refusalExpected = oracle.error !== null && !connectionEnds;
    const expectedAnswers = accepted.length + (refusalExpected ? 1 : 0);
    const methods = [...accepted.map((message) => message.method ?? 'GET'), 'GET'];

    this.apps.delivered = [];
    this.apps.appErrors = [];
    this.crashes = [];
    const client = await Client.open(transport, this.fixture, this.nextAddress());
    await writeSplit(client.socket, input, split);
    const answered = () => {
      const parsed = parseResponses(client.bytes(), methods, false);
      return parsed.error !== null || finalResponses(parsed).length >= expectedAnswers;
    };
    const settled = await client.settle(answered, this.deadlineMs);
    const clientResult = parseResponses(client.bytes(), methods, client.closed);
    client.close();
    // Only what this exchange's client sent (the router names it in X-Forwarded-For): a request
    // the router passes on late from an earlier exchange is not counted here.
    const delivered = this.apps.delivered.filter((each) => sentBy(each.message) === null || sentBy(each.message) === client.localAddress);
    const violations: string[] = [...this.apps.appErrors];
    const stricter: string[] = [];

    if (clientResult.error) violations.push(`the client got bytes llhttp rejects: ${clientResult.error.code} (${clientResult.error.reason})`);
    if (delivered.length > accepted.length) {
      violations.push(`${delivered.length} requests reached apps, llhttp accepts ${accepted.length}${oracle.error ? ` (then ${oracle.error.code})` : ''}`);
    }
    // Each app must get its own requests in order; requests for two apps may overlap in time (the
    // full proxy serves pipelined requests concurrently), so the order across apps is free.
    const owners = accepted.map((message) => HOSTS[routedHost(requestMeaning(message))]);
    for (const app of new Set(Object.values(HOSTS))) {
      const want = accepted.filter((_message, i) => owners[i] === app).map(requestMeaning);
      const got = delivered.filter((each) => each.app === app).map((each) => requestMeaning(each.message));
      // In order, each matched to the next request llhttp reads for the app: the router may refuse
      // one (a 400 for two Host fields) and serve the next, but never reorder, alter or invent one.
      let next = 0;
      for (const have of got) {
        let match = next;
        while (match < want.length && show(want[match]) !== show(have)) match += 1;
        if (match < want.length) {
          next = match + 1;
          continue;
        }
        const expected = want[next];
        violations.push(expected === undefined
          ? `app ${app} got a request llhttp does not read for it: ${show(have)}`
          : `app ${app} got ${show(have)} where llhttp reads ${show(expected)}`);
        next += 1;
      }
    }
    const answers = finalResponses(clientResult);
    // A request for a host no app owns is rightly refused (404): only owned ones must get through.
    // (Whichever were refused: a refused first request may be followed by one that is served.)
    const passed = new Set(delivered.map((each) => show(requestMeaning(each.message))));
    const refusedOwned = accepted.map(requestMeaning).find((meaning, i) => owners[i] !== undefined && !passed.has(show(meaning)));
    if (refusedOwned !== undefined && testCase.routerMayRefuse === undefined) {
      stricter.push(`the router refused a request llhttp accepts: ${show(refusedOwned)}`);
    }
    if (answers.length < delivered.length && settled) {
      // An app acted on a request whose answer the client never got.
      violations.push(`${delivered.length} request(s) reached apps, but the client got only ${answers.length} answer(s)${client.closed ? ' before the router closed' : ''}`);
    }
    if (delivered.length < accepted.length || refusalExpected) {
      // Whatever the router refuses gets an answer: one more than the requests it served, a 4xx or 5xx among them.
      if (answers.length < delivered.length + 1) {
        violations.push(
          `a request was refused without an answer: the client got ${answers.length} answer(s) for ${delivered.length} request(s) passed on and one or more refused` +
            (settled ? ' (connection closed)' : ` (nothing more within ${this.deadlineMs} ms)`),
        );
      } else if (!answers.some((answer) => (answer.status ?? 0) >= 400)) {
        violations.push(`a request was refused, yet every answer says success (${answers.map((answer) => answer.status).join(', ')})`);
      }
    }
    const account = [
      `llhttp: ${accepted.length} request(s) accepted${oracle.error ? `, then ${oracle.error.code} (${oracle.error.reason}) at byte ${oracle.error.offset}` : ''}${oracle.partial ? ', then an unfinished one' : ''}`,
      `apps got: ${delivered.map((each) => `${each.app} ${each.message.method} ${each.message.target}`).join('; ') || 'nothing'}`,
      `client got: ${show(client.bytes().toString('latin1').slice(0, 600))}${client.closed ? ' (closed)' : ''}${settled ? '' : ` (still waiting after ${this.deadlineMs} ms)`}`,
    ].join('\n');
    return { violations: [...violations, ...this.takeCrashes()], stricter, account };
  }

  /** Runs one response case and checks the invariants. */
  async response(transport: Transport, testCase: Pick<ResponseCase, 'request' | 'segments' | 'close' | 'routerMayRefuse'>, split: Split): Promise<Outcome> {
    const request = testCase.request ?? DEFAULT_RESPONSE_REQUEST;
    const method = parseRequests(Buffer.from(request, 'latin1')).messages[0]?.method ?? 'GET';
    const appBytes = Buffer.from(testCase.segments.map((segment) => segment.bytes).join(''), 'latin1');
    const oracle = parseResponses(appBytes, [method], testCase.close === true);
    const expected = finalResponses(oracle)[0];
    const appSentDate = expected !== undefined && expected.headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'date');

    this.apps.responseCase = { segments: testCase.segments, close: testCase.close, name: '', rule: '' };
    this.apps.split = split;
    this.apps.appErrors = [];
    this.crashes = [];
    const client = await Client.open(transport, this.fixture, this.nextAddress());
    const violations: string[] = [];
    const stricter: string[] = [];
    try {
      client.socket.write(request);
      const first = () => {
        const parsed = parseResponses(client.bytes(), [method], false);
        return parsed.error !== null || finalResponses(parsed).length >= 1;
      };
      const settled = await client.settle(first, this.deadlineMs);
      let result = parseResponses(client.bytes(), [method], client.closed);
      let secondSent = false;
      if (settled && !client.closed && result.error === null && finalResponses(result).length === 1) {
        secondSent = true;
        client.socket.write(SECOND_REQUEST);
        const second = () => {
          const parsed = parseResponses(client.bytes(), [method, 'GET'], false);
          return parsed.error !== null || finalResponses(parsed).length >= 2;
        };
        await client.settle(second, this.deadlineMs);
        result = parseResponses(client.bytes(), [method, 'GET'], client.closed);
      }
      violations.push(...this.apps.appErrors);
      if (result.error) violations.push(`the client got bytes llhttp rejects: ${result.error.code} (${result.error.reason}) at byte ${result.error.offset}`);
      const answers = finalResponses(result);
      const got = answers[0];
      const isRouterError = (message: ParsedMessage | undefined): boolean =>
        message !== undefined && message.status === 502 && message.headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'x-slipway-error');
      if (expected !== undefined) {
        if (got === undefined) {
          if (!(testCase.routerMayRefuse !== undefined && client.closed)) violations.push(`no complete response reached the client for one llhttp accepts${settled ? '' : ` (nothing within ${this.deadlineMs} ms)`}`);
        } else if (isRouterError(got)) {
          if (testCase.routerMayRefuse === undefined) stricter.push(`the router answered ${got.status} for a response llhttp accepts`);
        } else {
          const want = responseMeaning(expected);
          const have = responseMeaning(got, appSentDate);
          if (show(want) !== show(have)) violations.push(`the response reached the client as ${show(have)}, llhttp reads ${show(want)}`);
        }
      } else if (got !== undefined && !isRouterError(got)) {
        violations.push(`llhttp rejects the app's response${oracle.error ? ` (${oracle.error.code})` : ' (unfinished)'}, yet the client got a complete response ${got.status}: ${show(responseMeaning(got))}`);
      } else if (got === undefined && oracle.error !== null && !oracle.partialHead && oracle.messages.length === 0) {
        // Nothing of it could have been passed on yet: the client is owed a 502.
        violations.push(`llhttp rejects the app's response head (${oracle.error.code}); the client got no answer${client.closed ? ' (connection closed)' : ''}`);
      }
      if (secondSent) {
        const next = answers[1];
        if (next !== undefined && !isRouterError(next) && responseMeaning(next).body !== 'second') {
          violations.push(`the next request on the connection got someone else's answer: ${show(responseMeaning(next))}`);
        } else if (next === undefined && !client.closed) {
          violations.push('the next request on the connection got no answer');
        }
      }
      const account = [
        `llhttp: ${oracle.messages.length} message(s)${oracle.error ? `, then ${oracle.error.code} (${oracle.error.reason}) at byte ${oracle.error.offset}` : ''}${oracle.partial ? ', then an unfinished one' : ''}`,
        `client got: ${show(client.bytes().toString('latin1').slice(0, 800))}${client.closed ? ' (closed)' : ''}`,
      ].join('\n');
      return { violations: [...violations, ...this.takeCrashes()], stricter, account };
    } finally {
      client.close();
      this.apps.responseCase = null;
    }
  }
}
