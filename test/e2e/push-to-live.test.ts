/**
 * The spine of the product, driven exactly as a user drives it: the real git client over SSH,
 * a real build in Docker, a real registry, etcd and the router, then HTTP through the router.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface ReleaseJson { version: number; status: string; description: string; current: boolean; failureReason: string | null }

describe('git push to a live URL (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let key: { privateKey: string; publicKey: string };
  const app = uniqueName('e2e-node');
  let copy: WorkingCopy;

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    key = await makeSshKey(keysDir);
    const added = await slipway.api('POST', '/keys', { publicKey: key.publicKey });
    expect(added.status).to.equal(201);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('node-basic', key.privateKey);
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    copy.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  const releases = async (): Promise<ReleaseJson[]> => (await slipway.api<ReleaseJson[]>('GET', `/apps/${app}/releases`)).body;

  it('builds a Node.js app during the push and serves it through the router as v1', async function () {
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include('remote: -----> Node.js app detected');
    expect(push.output).to.include(`remote:        http://${app}.slipway.localhost:${slipway.config.routerPort} deployed to Slipway`);
    const response = await slipway.fetchApp(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from Slipway 2\.\d+\.\d+/);
    const [v1] = await releases();
    expect(v1).to.include({ version: 1, status: 'succeeded', current: true });
  });

  it('deploys a change as v2 and serves the new body', async function () {
    copy.write('server.js', fs.readFileSync(path.join(copy.dir, 'server.js'), 'utf8').replace('Hello from Slipway', 'Hello again from Slipway'));
    await copy.commitAll('Say hello again');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect((await slipway.fetchApp(app)).body).to.match(/^Hello again from Slipway/);
    const [latest] = await releases();
    expect(latest).to.include({ version: 2, status: 'succeeded', current: true });
    expect(latest!.description).to.match(/^Deploy [0-9a-f]{7}$/);
  });

  it('refuses a branch other than main or master, saying how to deploy it', async function () {
    const push = await copy.push(slipway.gitUrl(app), 'main:feature');
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('only main or master deploy');
    expect(push.output).to.include('git push slipway feature:main');
  });

  it('rejects a push whose build fails, showing the build error, and keeps v2 serving', async function () {
    const failing = await WorkingCopy.fromFixture('node-build-fails', key.privateKey);
    try {
      const push = await failing.push(slipway.gitUrl(app), '+main:main'); // another history: force, as Heroku users do
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('Push rejected');
      // The build's own error reached the client as remote: lines.
      expect(push.output).to.match(/remote: .*the build is broken on purpose/);
    } finally {
      failing.remove();
    }
    expect((await slipway.fetchApp(app)).body).to.match(/^Hello again from Slipway/);
    expect((await releases())[0]).to.include({ version: 2, current: true });
    const head = await copy.git('ls-remote', slipway.gitUrl(app), 'refs/heads/main');
    const local = await copy.git('rev-parse', 'HEAD');
    expect(head.stdout.split(/\s/)[0]).to.equal(local.stdout.trim()); // the branch ref was not updated
  });

  it('rejects an app that never binds $PORT, records v3 as failed, and keeps v2 serving', async function () {
    copy.replaceWith('node-no-bind');
    await copy.commitAll('Never bind');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('web process did not bind $PORT');
    expect((await slipway.fetchApp(app)).body).to.match(/^Hello again from Slipway/);
    const [v3, v2] = await releases();
    expect(v3).to.include({ version: 3, status: 'failed', current: false });
    expect(v3!.failureReason).to.include('did not bind $PORT');
    expect(v2).to.include({ version: 2, current: true });
  });

  it('refuses a push to an app that does not exist', async function () {
    const push = await copy.push(slipway.gitUrl('no-such-app'));
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('App "no-such-app" does not exist. Create it with: slipway apps:create no-such-app');
  });

  it('refuses an unregistered SSH key with a message saying how to register it', async function () {
    const stranger = await makeSshKey(keysDir, 'stranger');
    const strangerCopy = await WorkingCopy.fromFixture('node-basic', stranger.privateKey);
    try {
      const push = await strangerCopy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('is not registered with Slipway');
      expect(push.output).to.include('slipway keys:add');
    } finally {
      strangerCopy.remove();
    }
  });

  it('answers 404 naming the host for an unknown app', async function () {
    const response = await slipway.fetchApp('nothing-here');
    expect(response.status).to.equal(404);
    expect(response.body).to.include('nothing-here.slipway.localhost');
  });
});
