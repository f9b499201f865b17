/**
 * Issue 10, bug 1 as a user hit it: a push whose app.json startup check never passes hangs;
 * meanwhile the app is destroyed and created again under the same name. Then apps:rename.
 * Real git over SSH, a real build and Docker, etcd and the router.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { httpGet, makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface ReleaseJson { version: number; status: string }

/** The app.json, within the check bounds: a startup check that never passes, retried for an hour. */
const FAILING_CHECK = JSON.stringify({
  healthchecks: { web: [{ type: 'startup', path: '/nope', content: 'x', attempts: 60, wait: 60, timeout: 1 }] },
});

describe('apps:destroy during a hanging deploy, and apps:rename (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let key: { privateKey: string; publicKey: string };
  const app = uniqueName('e2e-race');
  const renamed = uniqueName('e2e-renamed');
  const superseded = uniqueName('e2e-newer');
  const customHost = `${uniqueName('www')}.example.test`;
  const copies: WorkingCopy[] = [];

  before(async function () {
    // A boot timeout far beyond the test: only the destroy can end the hanging deploy.
    slipway = await startTestSlipway({ SLIPWAY_BOOT_TIMEOUT: '900' });
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    key = await makeSshKey(keysDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
  });

  after(async function () {
    for (const name of [app, renamed, superseded]) await slipway.api('DELETE', `/apps/${name}?confirm=${name}`);
    for (const copy of copies) copy.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  async function waitForPendingRelease(name: string): Promise<void> {
    for (;;) {
      const { body } = await slipway.api<ReleaseJson[]>('GET', `/apps/${name}/releases`);
      if (Array.isArray(body) && body.some((r) => r.status === 'pending')) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('cancels the hanging deploy, and the next app of that name gets its own repository and route', async function () {
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    const failing = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    copies.push(failing);
    failing.write('app.json', FAILING_CHECK);
    await failing.commitAll('A check that never passes');
    const pushing = failing.push(slipway.gitUrl(app));
    await waitForPendingRelease(app);

    expect((await slipway.api('DELETE', `/apps/${app}?confirm=${app}`)).status).to.equal(204);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    const cancelled = await pushing;
    expect(cancelled.code).to.not.equal(0);
    expect(cancelled.output).to.include(`Deploy cancelled: ${app} is being destroyed.`);
    expect(cancelled.output).to.not.include(slipway.stateDir);

    // The new app is whole: its repository takes a push, its route serves it, its config is its own.
    const healthy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    copies.push(healthy);
    const push = await healthy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.not.include(slipway.stateDir);
    expect((await slipway.fetchApp(app)).status).to.equal(200);
    expect((await slipway.api('GET', `/apps/${app}/config`)).body).to.deep.equal({});
  });

  it('renames the app: it serves under the new name with its releases, and the old name is free', async function () {
    expect((await slipway.api('POST', `/apps/${app}/domains`, { hostname: customHost })).status).to.equal(201);
    const before = (await slipway.api<ReleaseJson[]>('GET', `/apps/${app}/releases`)).body;
    const answer = await slipway.api<{ name: string; gitUrl: string }>('PATCH', `/apps/${app}`, { name: renamed });
    expect(answer.status).to.equal(200);
    expect(answer.body.name).to.equal(renamed);
    expect((await slipway.fetchApp(renamed)).status).to.equal(200);
    expect((await slipway.fetchApp(app)).status).to.equal(404);
    expect((await slipway.api<ReleaseJson[]>('GET', `/apps/${renamed}/releases`)).body).to.deep.equal(before);
    expect((await slipway.api('GET', `/apps/${app}`)).status).to.equal(404);
    // Its custom domain stayed with it and still routes to it.
    const domains = (await slipway.api<Array<{ hostname: string }>>('GET', `/apps/${renamed}/domains`)).body;
    expect(domains.map((d) => d.hostname)).to.include(customHost);
    expect((await httpGet(slipway.config.routerPort, customHost, '/')).status).to.equal(200);

    // Its repository moved with it: the next push goes to the new git URL.
    const copy = copies[1]!;
    copy.write('extra.txt', 'after the rename');
    await copy.commitAll('After the rename');
    const push = await copy.push(slipway.gitUrl(renamed));
    expect(push.code, push.output).to.equal(0);
    expect((await slipway.fetchApp(renamed)).status).to.equal(200);
  });

  it('lets a newer push cancel a deploy that waits on a failing check, and deploys the newer one', async function () {
    expect((await slipway.api('POST', '/apps', { name: superseded })).status).to.equal(201);
    const failing = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    copies.push(failing);
    failing.write('app.json', FAILING_CHECK);
    await failing.commitAll('A check that never passes');
    const first = failing.push(slipway.gitUrl(superseded));
    await waitForPendingRelease(superseded);

    const fixed = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    copies.push(fixed);
    const second = await fixed.push(slipway.gitUrl(superseded), '+main:main');
    const cancelled = await first;
    expect(cancelled.code).to.not.equal(0);
    expect(cancelled.output).to.include(`Deploy cancelled: a newer push to ${superseded} arrived while this one waited on a failing health check.`);
    expect(second.code, second.output).to.equal(0);
    expect(second.output).to.include(`Waiting for another push to ${superseded} to finish`);
    expect((await slipway.fetchApp(superseded)).status).to.equal(200);
  });
});
