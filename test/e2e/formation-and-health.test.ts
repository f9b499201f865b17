/**
 * Process types, scaling, sizes, restarts and health checks, end to end: a real push of an app
 * with a Procfile and an app.json, then the ps API while requests flow through the router.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface InstanceJson { id: string; type: string; state: string; release: number; memoryMb?: number }
interface PsJson { formation: Array<{ type: string; quantity: number; memoryMb: number; cpu: number }>; instances: InstanceJson[] }

describe('process types, scaling and health checks (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let copy: WorkingCopy;
  const app = uniqueName('multi');

  const ps = async (): Promise<PsJson> => (await slipway.api<PsJson>('GET', `/apps/${app}/ps`)).body;
  const running = async (type: string): Promise<InstanceJson[]> => (await ps()).instances.filter((i) => i.type === type && i.state === 'running');

  /** Sends requests through the router until `task` ends; returns the statuses seen. */
  async function underLoad(task: () => Promise<unknown>): Promise<number[]> {
    const statuses: number[] = [];
    let done = false;
    const load = (async () => {
      while (!done) statuses.push((await slipway.fetchApp(app)).status);
    })();
    try {
      await task();
    } finally {
      done = true;
      await load;
    }
    return statuses;
  }

  before(async function () {
    slipway = await startTestSlipway({ SLIPWAY_DRAIN_SECONDS: '0.5' });
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    await slipway.api('POST', '/keys', { publicKey: key.publicKey });
    await slipway.api('POST', '/apps', { name: app });
    copy = await WorkingCopy.fromFixture('procfile-multi', key.privateKey);
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    copy.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  it('runs every Procfile type with the app.json formation on the first deploy', async function () {
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include('Procfile declares types -> web, worker');
    expect(await running('web')).to.have.length(2);
    expect(await running('worker')).to.have.length(1);
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i += 1) bodies.add((await slipway.fetchApp(app)).body);
    expect([...bodies].sort()).to.deep.equal(['web.1 v1', 'web.2 v1']); // round robin over both, worker not routed
  });

  it('scales web and worker, to zero too, without failing a request', async function () {
    const statuses = await underLoad(async () => {
      const scaled = await slipway.api('PATCH', `/apps/${app}/formation`, { web: 3, worker: 0 });
      expect(scaled.status, JSON.stringify(scaled.body)).to.equal(200);
    });
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);
    expect(await running('web')).to.have.length(3);
    expect(await running('worker')).to.have.length(0);
    const down = await underLoad(() => slipway.api('PATCH', `/apps/${app}/formation`, { web: 1 }));
    expect(down.filter((s) => s !== 200)).to.deep.equal([]);
    expect(await running('web')).to.have.length(1);
  });

  it('refuses a scale the host cannot hold, naming the shortfall, and changes nothing', async function () {
    const refused = await slipway.api<{ error: { code: string; message: string } }>('PATCH', `/apps/${app}/formation`, { web: 100 });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal('insufficient_capacity');
    expect(refused.body.error.message).to.match(/Insufficient capacity on this host for web=100: memory: needs \d+ MB/);
    expect((await ps()).formation.find((f) => f.type === 'web')!.quantity).to.equal(1);
  });

  it('refuses to scale a process type the app does not declare', async function () {
    const refused = await slipway.api<{ error: { message: string } }>('PATCH', `/apps/${app}/formation`, { clock: 1 });
    expect(refused.status).to.equal(400);
    expect(refused.body.error.message).to.include('No process type clock');
  });

  it('resizes web with a rolling restart that keeps serving', async function () {
    const before = (await running('web')).map((i) => i.id);
    const statuses = await underLoad(async () => {
      const resized = await slipway.api('PATCH', `/apps/${app}/formation/web`, { memory: '256m', cpu: 0.25 });
      expect(resized.status, JSON.stringify(resized.body)).to.equal(200);
    });
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);
    const after = await running('web');
    expect(after).to.have.length(1);
    expect(after[0]!.id).to.not.equal(before[0]);
    const view = await ps();
    expect(view.formation.find((f) => f.type === 'web')).to.include({ memoryMb: 256, cpu: 0.25 });
  });

  it('restarts web instances one by one without failing a request', async function () {
    await slipway.api('PATCH', `/apps/${app}/formation`, { web: 2 });
    const before = new Set((await running('web')).map((i) => i.id));
    const statuses = await underLoad(async () => {
      expect((await slipway.api('POST', `/apps/${app}/ps/restart`, { type: 'web' })).status).to.equal(204);
    });
    expect(statuses.length).to.be.greaterThan(0);
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);
    const after = await running('web');
    expect(after).to.have.length(2);
    expect(after.some((i) => before.has(i.id))).to.equal(false);
  });

  it('rolls back a release that fails its readiness check: never routed, old instances keep serving', async function () {
    const serving = new Set((await running('web')).map((i) => i.id));
    copy.write('server.js', fs.readFileSync(path.join(copy.dir, 'server.js'), 'utf8').replace('!process.env.BREAK_HEALTH', 'false'));
    await copy.commitAll('Break the health endpoint');
    let push!: Awaited<ReturnType<WorkingCopy['push']>>;
    const statuses = await underLoad(async () => { push = await copy.push(slipway.gitUrl(app)); });
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('health endpoint failed: GET /health answered 500 after 3 attempt(s)');
    expect(push.output).to.include('Push rejected');
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i += 1) bodies.add((await slipway.fetchApp(app)).body);
    expect([...bodies].every((b) => b.endsWith(' v1'))).to.equal(true);
    expect(new Set((await running('web')).map((i) => i.id))).to.deep.equal(serving);
    const releases = (await slipway.api<Array<{ version: number; status: string; failureReason: string }>>('GET', `/apps/${app}/releases`)).body;
    expect(releases[0]).to.include({ version: 2, status: 'failed' });
    expect(releases[0]!.failureReason).to.include('health endpoint failed');
  });

  it('stops one process type with ps:stop', async function () {
    await slipway.api('PATCH', `/apps/${app}/formation`, { worker: 1 });
    expect(await running('worker')).to.have.length(1);
    expect((await slipway.api('POST', `/apps/${app}/ps/stop`, { type: 'worker' })).status).to.equal(200);
    expect(await running('worker')).to.have.length(0);
    expect((await ps()).formation.find((f) => f.type === 'worker')!.quantity).to.equal(0);
  });

  it('shows ps as a table and scales through the CLI', async function () {
    const cli = (...args: string[]) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
      env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1' },
    });
    const scaled = await cli('ps:scale', app, 'web=1', 'worker=1');
    expect(scaled.code, scaled.output).to.equal(0);
    expect(scaled.stdout).to.include('now running web=1 worker=1');
    const listed = await cli('ps', app);
    expect(listed.code, listed.output).to.equal(0);
    expect(listed.stdout).to.match(/web: 1 × 256 MB, 0\.25 CPU/);
    expect(listed.stdout).to.match(/│ web +│ running │ v1/);
    expect(listed.stdout).to.match(/│ worker +│ running │ v1/);
    const bad = await cli('ps:scale', app, 'web');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('"web" is not TYPE=QUANTITY');
  });
});
