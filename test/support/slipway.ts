/**
 * A whole Slipway for one test file: control plane and router in this process, on free ports, with
 * its own state dir and etcd prefix, against the real dockerd, registry and etcd of scripts/test.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger, silentLogger } from '../../lib/log';
import Docker from 'dockerode';
import { platformId, startPlatform, type Platform } from '../../platform/platform';
import { startRouter, type RunningRouter } from '../../router';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'apps');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(3).toString('hex')}`;
}

export interface TestSlipway {
  config: Config;
  platform: Platform;
  router: RunningRouter;
  stateDir: string;
  token: string;
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** GET through the router with Host: <app>.<domain>. */
  fetchApp(app: string, route?: string): Promise<{ status: number; body: string }>;
  gitUrl(app: string): string;
  /**
   * Stops Slipway and starts it again on the same state dir, database, etcd prefix and router
   * port, as an operator's restart would; `platform` (and `router`) are then the new ones.
   * `platform` restarts the control plane alone, the router serving on meanwhile.
   */
  restart(what?: 'all' | 'platform'): Promise<void>;
  close(): Promise<void>;
}

export interface TestSlipwayOptions {
  /** The router also serves its admin port (/metrics for Prometheus) on a free port: `router.adminPort`. */
  routerAdmin?: boolean;
}

/**
 * A whole Slipway (platform and router) on free ports. Test files run side by side (scripts/test),
 * so a port found free can be taken by another file before the router binds it: then it starts
 * again on other ports (a few times at most).
 */
export async function startTestSlipway(overrides: Record<string, string> = {}, options: TestSlipwayOptions = {}): Promise<TestSlipway> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startTestSlipwayOnce(overrides, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

async function startTestSlipwayOnce(overrides: Record<string, string>, options: TestSlipwayOptions): Promise<TestSlipway> {
  // Given both, a restart of an earlier Slipway (its state, its containers, its routes).
  const stateDir = overrides.SLIPWAY_STATE_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-test-'));
  const routerPort = overrides.SLIPWAY_ROUTER_PORT ? Number(overrides.SLIPWAY_ROUTER_PORT) : await freePort();
  const config = loadConfig({
    ...process.env,
    SLIPWAY_STATE_DIR: stateDir,
    SLIPWAY_API_HOST: '127.0.0.1',
    SLIPWAY_API_PORT: '0',
    SLIPWAY_SSH_HOST: '127.0.0.1',
    SLIPWAY_SSH_PORT: '0',
    SLIPWAY_ROUTER_HOST: '127.0.0.1',
    SLIPWAY_ROUTER_PORT: String(routerPort),
    SLIPWAY_ROUTER_HTTPS_PORT: '0', // a free port (router.httpsPort): tests never take the default 8443
    SLIPWAY_ETCD_PREFIX: `/slipway-test-${crypto.randomBytes(4).toString('hex')}`,
    SLIPWAY_BOOT_TIMEOUT: '20',
    SLIPWAY_STOP_GRACE: '2',
    ...(options.routerAdmin ? { SLIPWAY_ROUTER_ADMIN_PORT: '0' } : {}),
    ...overrides,
  });
  // SLIPWAY_TEST_LOG=debug shows the platform's own logs while a test runs.
  const logger = process.env.SLIPWAY_TEST_LOG ? createLogger(process.env.SLIPWAY_TEST_LOG, 'test') : silentLogger();
  let platform = await startPlatform(config, logger);
  let router: Awaited<ReturnType<typeof startRouter>>;
  try {
    router = await startRouter(config, logger, options.routerAdmin ? { serveAdmin: true } : {});
  } catch (error) {
    await platform.close();
    if (!overrides.SLIPWAY_STATE_DIR) fs.rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const { token } = JSON.parse(fs.readFileSync(path.join(stateDir, 'admin-credentials.json'), 'utf8')) as { token: string };

  const slipway: TestSlipway = {
    config, platform, router, stateDir, token,
    async api<T>(method: string, route: string, body?: unknown) {
      const response = await fetch(`http://127.0.0.1:${platform.apiPort}/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    fetchApp: (app, route = '/') => httpGet(routerPort, `${app}.${config.domain}`, route),
    gitUrl: (app) => `ssh://git@127.0.0.1:${platform.sshPort}/${app}.git`,
    async restart(what = 'all') {
      if (what === 'all') await router.close();
      await platform.close();
      platform = await startPlatform(config, logger);
      slipway.platform = platform;
      if (what === 'all') {
        router = await startRouter(config, logger, options.routerAdmin ? { serveAdmin: true } : {});
        slipway.router = router;
      }
    },
    async close() {
      await router.close();
      await platform.close();
      await removeLeftovers(config);
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return slipway;
}

/**
 * The containers and volumes this Slipway made and a test left (its apps were not destroyed): with
 * the state dir gone nothing would ever remove them, and every run would leave more running.
 */
async function removeLeftovers(config: Config): Promise<void> {
  const docker = new Docker({ socketPath: config.dockerSocket });
  const label = `slipway.platform=${platformId(config)}`;
  try {
    const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
    await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  } catch {
    // dockerd gone: nothing to clean
  }
}

export function httpGet(port: number, host: string, route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: route, headers: { host }, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; output += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; output += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, output }));
  });
}

/** A user's SSH key pair, made with ssh-keygen in a temporary folder. */
export async function makeSshKey(dir: string, name = 'id_ed25519'): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = path.join(dir, name);
  const result = await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-C', `${name}@test`, '-f', privateKey]);
  if (result.code !== 0) throw new Error(`ssh-keygen failed: ${result.output}`);
  return { privateKey, publicKey: fs.readFileSync(`${privateKey}.pub`, 'utf8') };
}

/** A working copy with one app's files committed on main, pushing with the given key. */
export class WorkingCopy {
  private constructor(readonly dir: string, private readonly env: NodeJS.ProcessEnv) {}

  static async fromFixture(fixture: string, privateKey: string): Promise<WorkingCopy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-app-'));
    fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
    const env = {
      GIT_SSH_COMMAND: `ssh -i ${privateKey} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`,
      GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com',
    };
    const copy = new WorkingCopy(dir, env);
    await copy.git('init', '-q', '--initial-branch=main');
    await copy.commitAll('Initial commit');
    return copy;
  }

  async git(...args: string[]): Promise<CommandResult> {
    return run('git', args, { cwd: this.dir, env: this.env });
  }

  async commitAll(message: string): Promise<void> {
    await this.git('add', '-A');
    const result = await this.git('commit', '-q', '--allow-empty', '-m', message);
    if (result.code !== 0) throw new Error(`git commit failed: ${result.output}`);
  }

  write(file: string, content: string): void {
    fs.writeFileSync(path.join(this.dir, file), content);
  }

  /** Replaces the tree with another fixture's files (keeping .git). */
  replaceWith(fixture: string): void {
    for (const entry of fs.readdirSync(this.dir)) if (entry !== '.git') fs.rmSync(path.join(this.dir, entry), { recursive: true });
    fs.cpSync(path.join(FIXTURES, fixture), this.dir, { recursive: true });
  }

  push(url: string, refspec = 'main'): Promise<CommandResult> {
    return this.git('push', url, refspec);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
