/**
 * The SSH endpoint. Authenticates by registered public key and accepts only git-receive-pack and
 * git-upload-pack for '<app>.git', and `run APP CMD…` one-offs (an allow-list, like Deis's sshd);
 * runs git with argument arrays. Pushes to one app are serialised by the lock service's `push`
 * lock (engine/locks.ts) held for the whole push; git's messages name the app, never a path.
 */
import { spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { Server, utils, type Connection, type ServerChannel } from 'ssh2';
import { appNameProblem } from '../lib/app-name';
import { isSlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { fingerprintOfBlob } from '../lib/ssh-keys';
import type { LockService } from '../engine/locks';
import type { HookServer } from './hook-server';
import { parseSshRun, type RunRequest, type TerminalSize } from '../engine/one-off';
import type { AttachedIo } from '../engine/one-off-service';
import type { AccessChecker, AccessRequest, UserPrincipal } from '../engine/policy';
import type { AuditSink } from '../engine/audit-port';

export interface SshKeyLookup {
  /**
   * The user owning a key with this fingerprint, acting through it; null when the key is not
   * registered; `{ refusal }` when it is but may not be used (its user is disabled), with the
   * words to say once the client proved it holds the key. Checked at every connection, never cached.
   */
  principalForKey(fingerprint: string, address: string): Promise<UserPrincipal | KeyRefusal | null>;
}

export interface AppDirectory {
  exists(app: string): Promise<boolean>;
  repositoryPath(app: string): string;
  /** A push arrived while another push to the app runs (it may cancel one waiting on a failing check). */
  pushQueued?(app: string): void;
}

export interface SshServerOptions {
  host: string;
  port: number;
  hostKey: Buffer;
  hookSocket: string;
}

const GIT_COMMAND = /^(git-receive-pack|git-upload-pack) (?:'\/?([^'/]+?)(?:\.git)?'|\/?([^'/\s]+?)(?:\.git)?)$/;

export function parseGitCommand(command: string): { service: 'git-receive-pack' | 'git-upload-pack'; app: string } | null {
  const match = GIT_COMMAND.exec(command.trim());
  const app = match?.[2] ?? match?.[3];
  if (!match || !app || appNameProblem(app) !== null) return null;
  return { service: match[1] as 'git-receive-pack' | 'git-upload-pack', app };
}

export interface KeyRefusal {
  refusal: string;
}

type Identity = { principal: UserPrincipal } | { refused: string[] } | KeyRefusal;

/** Runs `run APP CMD…` (Dokku style) in a one-off process of the app; resolves with its exit code. docs/run.md. */
export interface SshRunner {
  run(app: string, request: RunRequest, io: AttachedIo): Promise<number>;
}

/** The pseudo-terminal a session asked for (`ssh -t`), and who hears of its window changes. */
interface SessionTerminal {
  pty: { cols: number; rows: number; term: string } | null;
  resize: ((size: TerminalSize) => void) | null;
}

export class SshGitServer {
  private server: Server | null = null;

  constructor(
    private readonly options: SshServerOptions,
    private readonly keys: SshKeyLookup,
    private readonly apps: AppDirectory,
    private readonly locks: LockService,
    private readonly hooks: HookServer,
    private readonly logger: Logger,
    private readonly access: AccessChecker,
    private readonly runner: SshRunner | null = null,
    private readonly audit: AuditSink | null = null,
  ) {}

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  async start(): Promise<void> {
    this.server = new Server({ hostKeys: [this.options.hostKey] }, (client, info) => this.onConnection(client, info.ip));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private onConnection(client: Connection, address: string): void {
    let identity: Identity = { refused: [] };
    client.on('error', (error) => this.logger.debug({ err: error }, 'ssh client error'));
    client.on('authentication', (ctx) => {
      void (async () => {
        if (ctx.method === 'publickey') {
          const fingerprint = fingerprintOfBlob(ctx.key.data);
          const principal = await this.keys.principalForKey(fingerprint, address).catch((error: unknown) => {
            // A database outage is not "your key is not registered": log it, refuse this attempt.
            this.logger.error({ err: error }, 'ssh key lookup failed');
            return null;
          });
          if (!principal) {
            if ('refused' in identity && !identity.refused.includes(fingerprint)) identity.refused.push(fingerprint);
            return ctx.reject(['publickey', 'keyboard-interactive']);
          }
          if (!ctx.signature) return ctx.accept(); // the client asks whether this key would do
          const key = utils.parseKey(`${ctx.key.algo} ${ctx.key.data.toString('base64')}`);
          if (key instanceof Error || Array.isArray(key) || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) {
            return ctx.reject(['publickey']);
          }
          // A refused key's owner is told why only after proving they hold it (a public key is no secret).
          identity = 'refusal' in principal ? { refusal: principal.refusal } : { principal };
          return ctx.accept();
        }
        if (ctx.method === 'keyboard-interactive' && 'refused' in identity) {
          // Let the client in only to tell it, in words, why its keys are refused (see onExec).
          return ctx.accept();
        }
        return ctx.reject(['publickey']);
      })();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        const terminal: SessionTerminal = { pty: null, resize: null };
        session.on('pty', (accept, _reject, info) => {
          terminal.pty = { cols: info.cols, rows: info.rows, term: info.term };
          accept?.();
        });
        session.on('window-change', (accept, _reject, info) => {
          terminal.resize?.({ cols: info.cols, rows: info.rows });
          accept?.();
        });
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          void this.onExec(channel, info.command, identity, terminal).catch((error) => {
            this.logger.error({ err: error }, 'ssh exec failed');
            finish(channel, 1, ' !     Internal error, see the platform log.\n');
          });
        });
      });
    });
  }

  private async onExec(channel: ServerChannel, command: string, identity: Identity, terminal: SessionTerminal): Promise<void> {
    if ('refusal' in identity) return finish(channel, 1, ` !     ${identity.refusal}\n`);
    if ('refused' in identity) {
      const keys = identity.refused.length > 0 ? ` (${identity.refused.join(', ')})` : '';
      return finish(channel, 1, ` !     Your SSH key${keys} is not registered with Slipway. Register it with: slipway keys:add ~/.ssh/id_ed25519.pub\n`);
    }
    const { principal } = identity;
    const run = this.runner ? parseSshRun(command) : null;
    if (run && 'problem' in run) return finish(channel, 1, ` !     ${run.problem}\n`);
    if (run) {
      if (!(await this.allowed(channel, principal, { action: 'app:operate', app: run.app }))) return;
      return this.runOneOff(channel, principal, run.app, run.command, terminal);
    }
    const parsed = parseGitCommand(command);
    if (!parsed) {
      return finish(channel, 1, ` !     Only git push and git fetch are served here (got "${command.split(' ')[0]}").\n`);
    }
    // Fetching needs deploy too: the source may hold what a viewer must not read.
    if (!(await this.allowed(channel, principal, { action: 'app:deploy', app: parsed.app }))) return;
    if (!(await this.apps.exists(parsed.app))) {
      return finish(channel, 1, ` !     App "${parsed.app}" does not exist. Create it with: slipway apps:create ${parsed.app}\n`);
    }
    const repoPath = this.apps.repositoryPath(parsed.app);
    if (parsed.service === 'git-upload-pack') {
      await this.runGit(channel, parsed.service, parsed.app, repoPath, {});
      return;
    }

    if (this.locks.isLocked(parsed.app, 'push')) {
      channel.stderr.write(`Waiting for another push to ${parsed.app} to finish...\n`);
      this.apps.pushQueued?.(parsed.app);
    }
    const release = await this.locks.acquire(parsed.app, 'push');
    try {
      // The app may have been destroyed while this push waited.
      if (!(await this.apps.exists(parsed.app))) {
        return finish(channel, 1, ` !     App "${parsed.app}" does not exist any more (it was destroyed). Create it with: slipway apps:create ${parsed.app}\n`);
      }
      const pushId = this.hooks.register({ app: parsed.app, repoPath, principal });
      this.logger.info({ app: parsed.app, user: principal.userName, key: principal.credential }, 'push started');
      let code = 1;
      try {
        code = await this.runGit(channel, parsed.service, parsed.app, repoPath, { SLIPWAY_PUSH_ID: pushId, SLIPWAY_HOOK_SOCKET: this.options.hookSocket });
      } finally {
        this.hooks.unregister(pushId);
        await this.record(principal, 'git.push', parsed.app, code === 0);
      }
    } finally {
      release();
    }
  }

  /**
   * Asks the one policy; a refusal is one line the client shows (`remote:` style for git), and
   * nothing else happens. An app the key's user may not see reads as an app that does not exist.
   */
  private async allowed(channel: ServerChannel, principal: UserPrincipal, request: AccessRequest): Promise<boolean> {
    try {
      await this.access.check(principal, request);
      return true;
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      const message = error.code === 'app_not_found'
        ? `App "${request.app}" does not exist. Create it with: slipway apps:create ${request.app}`
        : error.message;
      finish(channel, 1, ` !     ${message}\n`);
      return false;
    }
  }

  private async record(principal: UserPrincipal, action: string, app: string, ok: boolean): Promise<void> {
    await this.audit?.record({ principal, address: principal.address ?? 'unknown', action, app, result: ok ? 'ok' : 'failed' })
      .catch((error: unknown) => this.logger.error({ err: error, action, app }, 'audit record failed'));
  }

  /** `run APP CMD…`: CMD in a new container of the app's current release, over this channel. */
  private async runOneOff(channel: ServerChannel, principal: UserPrincipal, app: string, command: string, terminal: SessionTerminal): Promise<void> {
    const hangUp = new AbortController();
    channel.on('close', () => hangUp.abort());
    const pty = terminal.pty;
    try {
      const code = await this.runner!.run(app, {
        command, tty: pty !== null, size: pty ? { cols: pty.cols, rows: pty.rows } : null, term: pty?.term || null,
      }, {
        stdin: channel, stdout: channel, stderr: channel.stderr,
        onResize: (listener) => { terminal.resize = listener; },
        signal: hangUp.signal,
      });
      channel.exit(code);
      channel.end();
      await this.record(principal, 'run', app, true);
    } catch (error) {
      await this.record(principal, 'run', app, false);
      if (!isSlipwayError(error)) throw error;
      finish(channel, 1, ` !     ${error.message}${pty ? '\r\n' : '\n'}`);
    }
  }

  /** Resolves with git's exit code once its last words reached the client. */
  private runGit(channel: ServerChannel, service: string, app: string, repoPath: string, env: Record<string, string>): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn(service, [repoPath], { env: { ...process.env, ...env } });
      channel.pipe(child.stdin);
      child.stdout.pipe(channel, { end: false });
      const messages = child.stderr.pipe(hidingPath(repoPath, `${app}.git`));
      messages.pipe(channel.stderr, { end: false });
      const messagesSent = new Promise<void>((done) => { messages.once('end', done); });
      child.on('error', (error) => {
        finish(channel, 1, ` !     Could not run ${service}: ${error.message}\n`);
        resolve(1);
      });
      child.on('close', (code) => {
        // git's last words (the push's verdict) reach the client before the channel closes.
        void messagesSent.then(() => {
          channel.exit(code ?? 1);
          channel.end();
          resolve(code ?? 1);
        });
      });
    });
  }
}

/**
 * Git's own messages with the repository's path on this host replaced by the app's name: a user
 * never sees where Slipway keeps repositories. Text is passed on line by line (\n or \r ends one).
 */
export function hidingPath(path: string, shown: string): Transform {
  let partial = '';
  const clean = (text: string): string => text.split(path).join(shown);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = partial + chunk.toString('utf8');
      const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1;
      partial = text.slice(end);
      done(null, end > 0 ? clean(text.slice(0, end)) : undefined);
    },
    flush(done) {
      done(null, partial ? clean(partial) : undefined);
    },
  });
}

function finish(channel: ServerChannel, code: number, message: string): void {
  channel.stderr.write(message);
  channel.exit(code);
  channel.end();
}
