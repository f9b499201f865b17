/**
 * Slipway killed in the middle of a deploy, then started again: the reconciler converges, with the
 * old release serving, the interrupted one rolled back, nothing duplicated and healthy instances
 * left alone. The control plane runs as its own process here, so it can really be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { expect } from 'chai';
import { loadConfig } from '../../lib/config';
import { silentLogger } from '../../lib/log';
import { startRouter, type RunningRouter } from '../../router';
import { freePort, httpGet, makeSshKey, REPO_ROOT, uniqueName, WorkingCopy } from '../support/slipway';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('Slipway killed during a deploy (end to end)', function () {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-'));
  const app = uniqueName('crash');
  let env: NodeJS.ProcessEnv;
  let platform: ChildProcess | null = null;
  let router: RunningRouter;
  let apiPort: number;
  let sshPort: number;
  let routerPort: number;
  let token = '';
  let copy: WorkingCopy;

  const api = async <T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1${route}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };

  async function startPlatform(): Promise<void> {
    platform = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'platform', 'main.js')], { env, stdio: 'ignore' });
    await waitFor('the API', async () => (await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`)).ok);
    token = (JSON.parse(fs.readFileSync(path.join(stateDir, 'admin-credentials.json'), 'utf8')) as { token: string }).token;
  }

  function kill(): Promise<void> {
    const child = platform!;
    platform = null;
    return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
  }

  const gitUrl = (): string => `ssh://git@127.0.0.1:${sshPort}/${app}.git`;
  const body = async (): Promise<string> => (await httpGet(routerPort, `${app}.slipway.localhost`, '/')).body;

  before(async function () {
    [apiPort, sshPort, routerPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      ...process.env,
      SLIPWAY_STATE_DIR: stateDir, SLIPWAY_API_HOST: '127.0.0.1', SLIPWAY_API_PORT: String(apiPort),
      SLIPWAY_SSH_HOST: '127.0.0.1', SLIPWAY_SSH_PORT: String(sshPort), SLIPWAY_ROUTER_PORT: String(routerPort),
      // A free HTTPS port too: the default 8443 may be a running Slipway's.
      SLIPWAY_ROUTER_HTTPS_PORT: '0', SLIPWAY_ROUTER_ADMIN_PORT: '0',
      SLIPWAY_ETCD_PREFIX: `/slipway-test-${crypto.randomBytes(4).toString('hex')}`,
      SLIPWAY_STOP_GRACE: '2', SLIPWAY_DRAIN_SECONDS: '0.2', SLIPWAY_LOG_LEVEL: 'warn',
    };
    router = await startRouter(loadConfig({ ...env, SLIPWAY_ROUTER_HOST: '127.0.0.1' }), silentLogger());
    await startPlatform();
    const key = await makeSshKey(stateDir, 'user_key');
    await api('POST', '/keys', { publicKey: key.publicKey });
    await api('POST', `/apps`, { name: app });
    copy = await WorkingCopy.fromFixture('slow-boot', key.privateKey);
    const push = await copy.push(gitUrl());
    expect(push.code, push.output).to.equal(0);
    expect(await body()).to.equal('version one');
  });

  after(async function () {
    if (!platform) await startPlatform();
    await api('DELETE', `/apps/${app}?confirm=${app}`);
    if (platform) await kill();
    await router.close();
    copy.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('rolls the interrupted release back and keeps the old instance, untouched, serving', async function () {
    const instancesBefore = (await api<{ instances: Array<{ id: string }> }>('GET', `/apps/${app}/ps`)).body.instances.map((i) => i.id);

    // v-next binds its port only after 8 s: Slipway is killed while it waits for it.
    copy.write('server.js', fs.readFileSync(path.join(copy.dir, 'server.js'), 'utf8')
      .replace("const VERSION = 'one';", "const VERSION = 'two';")
      .replace("Number(process.env.BOOT_DELAY_MS || 0)", '8000'));
    await copy.commitAll('Version two, slow to boot');
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const push = copy.push(gitUrl());
    await waitFor('the new release to start', async () => {
      const containers = await docker.listContainers({ filters: { label: [`slipway.app=${app}`] } });
      return containers.length > instancesBefore.length;
    });
    await kill();
    expect((await push).code).to.not.equal(0);
    expect(await body()).to.equal('version one'); // the router kept serving while Slipway was down

    await startPlatform();
    const releases = await waitFor('the interrupted release to be rolled back', async () => {
      const list = (await api<Array<{ version: number; status: string; failureReason: string | null; current: boolean }>>('GET', `/apps/${app}/releases`)).body;
      return list[0]!.status === 'failed' ? list : null;
    });
    expect(releases[0]!.failureReason).to.include('interrupted');
    expect(releases.find((r) => r.current)!.status).to.equal('succeeded');
    const instances = await waitFor('one instance left', async () => {
      const containers = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
      return containers.length === instancesBefore.length ? containers : null;
    });
    expect(instances.map((c) => c.Labels['slipway.instance'])).to.deep.equal(instancesBefore);
    expect(await body()).to.equal('version one');
  });

  it('deploys the next push normally after the recovery', async function () {
    copy.write('server.js', fs.readFileSync(path.join(copy.dir, 'server.js'), 'utf8').replace('8000', '0'));
    await copy.commitAll('Version two, quick to boot');
    const push = await copy.push(gitUrl());
    expect(push.code, push.output).to.equal(0);
    expect(await body()).to.equal('version two');
  });
});
