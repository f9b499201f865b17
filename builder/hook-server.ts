/**
 * Internal endpoint on a unix socket that pre-receive hooks call. The SSH server registers each
 * push under a random id; the hook presents it, so a hook can only act for the push that ran it.
 * Protocol (NDJSON response): {"out":"text"}… then {"ok":true|false}.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from '../lib/log';
import type { Principal } from '../engine/policy';
import { QUARANTINE_VARS, type GitObjectEnv } from './git';
import { parseRefLines, type PushHandler } from './push-handler';

export interface PushSession {
  app: string;
  repoPath: string;
  /** Who pushed (through which key): builds and releases record it. */
  principal: Principal;
}

export interface HookRequestBody {
  refs: string;
  env: Record<string, string>;
}

export class HookServer {
  private readonly sessions = new Map<string, PushSession & { registeredAt: Date }>();
  private server: http.Server | null = null;

  constructor(private readonly socketPath: string, private readonly handler: PushHandler, private readonly logger: Logger) {}

  register(session: PushSession): string {
    const id = crypto.randomBytes(16).toString('hex');
    // git-receive-pack starts receiving the pushed objects now: the deploy's receive phase begins here.
    this.sessions.set(id, { ...session, registeredAt: new Date() });
    return id;
  }

  unregister(id: string): void {
    this.sessions.delete(id);
  }

  async start(): Promise<void> {
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true });
    fs.rmSync(this.socketPath, { force: true });
    this.server = http.createServer((req, res) => { void this.serve(req, res); });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.socketPath, () => resolve());
    });
    fs.chmodSync(this.socketPath, 0o600);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const id = (req.url ?? '').replace(/^\/push\//, '');
    const session = this.sessions.get(id);
    if (req.method !== 'POST' || !session) {
      res.writeHead(404).end(JSON.stringify({ out: ' !     Unknown push.\n' }) + '\n' + JSON.stringify({ ok: false }) + '\n');
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw) as HookRequestBody;
    const gitEnv: GitObjectEnv = Object.fromEntries(
      QUARANTINE_VARS.filter((name) => body.env[name]).map((name) => [name, body.env[name]!]),
    );
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const output = (text: string): void => { res.write(JSON.stringify({ out: text }) + '\n'); };
    let ok = false;
    try {
      ok = await this.handler.handle({ app: session.app, repoPath: session.repoPath, principal: session.principal, refs: parseRefLines(body.refs), gitEnv, output, receivedAt: session.registeredAt });
    } catch (error) {
      this.logger.error({ err: error, app: session.app }, 'push handler crashed');
    }
    res.end(JSON.stringify({ ok }) + '\n');
  }
}
