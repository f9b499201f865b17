/**
 * The API server's HTTP Upgrade handler: `GET /api/v1/apps/:app/dynos/:id/attach` with
 * `Connection: Upgrade`, `Upgrade: slipway-attach/1` and the usual Bearer token attaches the
 * client to a one-off prepared by `POST /apps/:app/dynos`, then speaks the framed protocol of
 * api/attach-protocol.ts over the raw socket (docs/run.md).
 */
import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { SlipwayError, toErrorBody } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { AccessChecker, Principal } from '../engine/policy';
import { bearerToken } from './auth';
import type { AttachedIo, OneOffService } from '../engine/one-off-service';
import type { TerminalSize } from '../engine/one-off';
import {
  ATTACH_PROTOCOL, FrameDecoder, FrameError, FrameType, encodeData, encodeJson, parseResize,
} from './attach-protocol';

export interface AttachDeps {
  /** Identifies the caller as the API's routes do (api/auth.ts). */
  authenticate: (req: http.IncomingMessage, address: string) => Promise<Principal | null>;
  /** The one policy: attaching needs `operate` on the app, as starting the one-off did. */
  access: AccessChecker;
  oneOffs: OneOffService;
  logger: Logger;
}

export type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

const ATTACH_PATH = /^\/api\/v1\/apps\/([^/]+)\/dynos\/([^/]+)\/attach\/?$/;

/** Who may attach to a prepared one-off: the user who started it (the platform as "platform"). */
export function attachOwner(principal: Principal): string {
  return principal.kind === 'user' ? String(principal.userId) : 'platform';
}

/** The path a client upgrades on to attach to one-off `id` of `app`. */
export function attachPath(app: string, id: string): string {
  return `/api/v1/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(id)}/attach`;
}

/** Parses an attach request's path; null when it is not one. */
export function parseAttachPath(url: string | undefined): { app: string; id: string } | null {
  const match = ATTACH_PATH.exec((url ?? '').split('?', 1)[0]!);
  if (!match) return null;
  try {
    return { app: decodeURIComponent(match[1]!), id: decodeURIComponent(match[2]!) };
  } catch {
    return null;
  }
}

export { bearerToken };

/** The 'upgrade' listener of the API's http.Server. */
export function attachUpgradeHandler(deps: AttachDeps): UpgradeListener {
  return (req, socket, head) => {
    socket.on('error', (error) => deps.logger.debug({ err: error }, 'attach socket error'));
    handleUpgrade(deps, req, socket, head).catch((error: unknown) => {
      if (toErrorBody(error).status >= 500) deps.logger.error({ err: error }, 'attach failed');
      refuse(socket, error);
    });
  };
}

async function handleUpgrade(deps: AttachDeps, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const target = parseAttachPath(req.url);
  if (!target) throw new SlipwayError('not_found', `No upgrade is served on ${req.url ?? '/'}: attach on ${attachPath(':app', ':id')}.`);
  if ((req.headers.upgrade ?? '').toLowerCase() !== ATTACH_PROTOCOL) {
    throw new SlipwayError('invalid_request', `Upgrade to ${ATTACH_PROTOCOL} to attach to a one-off process.`);
  }
  const principal = await deps.authenticate(req, req.socket.remoteAddress ?? 'unknown');
  if (!principal) throw new SlipwayError('unauthorized', 'Sign in first: run `slipway login` (or set SLIPWAY_TOKEN to an API token).');
  await deps.access.check(principal, { action: 'app:operate', app: target.app });
  const run = deps.oneOffs.claim(target.app, target.id, attachOwner(principal));
  if (!run) {
    throw new SlipwayError('not_found',
      `No one-off ${target.id} of ${target.app} is waiting to be attached: create one with POST /apps/${target.app}/dynos, then attach within a minute.`);
  }
  if (socket.destroyed) return;

  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${ATTACH_PROTOCOL}\r\n\r\n`);
  const session = new AttachSession(socket, deps.logger);
  if (head.length > 0) session.receive(head);
  try {
    const code = await deps.oneOffs.runAttached(run, session.io);
    session.finish(encodeJson(FrameType.exit, { code: Math.min(255, Math.max(0, code)) }));
  } catch (error) {
    if (!(error instanceof SlipwayError) || error.status >= 500) deps.logger.error({ err: error, app: target.app, oneOff: target.id }, 'one-off failed');
    session.finish(encodeJson(FrameType.error, toErrorBody(error).body.error));
  }
}

/** One attached client: frames in and out of the upgraded socket. */
class AttachSession {
  private readonly decoder = new FrameDecoder();
  private readonly stdin = new PassThrough();
  private readonly controller = new AbortController();
  private resizeListener: ((size: TerminalSize) => void) | null = null;
  private done = false;
  readonly io: AttachedIo;

  constructor(private readonly socket: Duplex, private readonly logger: Logger) {
    const hangUp = () => { if (!this.done) this.controller.abort(); };
    // The client keeps its side open until the exit frame; an early end means it went away.
    socket.on('end', hangUp);
    socket.on('close', hangUp);
    socket.on('error', hangUp);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    this.io = {
      stdin: this.stdin,
      stdout: this.frameWriter(FrameType.stdout),
      stderr: this.frameWriter(FrameType.stderr),
      onResize: (listener) => { this.resizeListener = listener; },
      signal: this.controller.signal,
    };
  }

  receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.logger.warn({ err: error }, 'attach protocol error');
      this.controller.abort();
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        case FrameType.stdin:
          if (!this.stdin.writableEnded && !this.stdin.write(frame.payload)) {
            this.socket.pause();
            this.stdin.once('drain', () => this.socket.resume());
          }
          break;
        case FrameType.stdinEof:
          if (!this.stdin.writableEnded) this.stdin.end();
          break;
        case FrameType.resize: {
          const size = parseResize(frame.payload);
          if (size) this.resizeListener?.(size);
          break;
        }
        default:
          break; // unknown frame types are ignored, so that newer clients can add some
      }
    }
  }

  /** Sends the last frame and closes the connection. */
  finish(frame: Buffer): void {
    this.done = true;
    if (!this.stdin.writableEnded) this.stdin.end();
    if (this.socket.destroyed) return;
    this.socket.end(frame);
  }

  private frameWriter(type: number): Writable {
    const socket = this.socket;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (socket.destroyed || socket.writableEnded) return callback();
        let ok = true;
        for (const frame of encodeData(type, chunk)) ok = socket.write(frame);
        if (ok) callback();
        else {
          const resume = () => { socket.off('close', resume); socket.off('drain', resume); callback(); };
          socket.once('drain', resume);
          socket.once('close', resume);
        }
      },
    });
  }
}

/** Answers a refused upgrade with a plain HTTP error in the API's JSON shape, then closes. */
function refuse(socket: Duplex, error: unknown): void {
  if (socket.destroyed || socket.writableEnded) return;
  const { status, body } = toErrorBody(error);
  const text = JSON.stringify(body);
  socket.end([
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    '',
    text,
  ].join('\r\n'));
}
