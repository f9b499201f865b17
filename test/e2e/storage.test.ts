/**
 * Persistent volumes end to end (docs/storage.md): one app pushed with git, a volume mounted
 * through the API, a file written through an HTTP request to the app, and read back after a
 * redeploy, after a restart of Slipway and of the instances, and after an unmount and a mount
 * again (the data is kept). Who may see and mount; apps:destroy removes the volume.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface MountJson { path: string; processType: string; volume: string; sizeMb: number | null; state: string }
interface ChangeJson { mount: MountJson; release: number | null; dataDestroyed: boolean }

describe('storage: persistent volumes (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let copy: WorkingCopy;
  const app = uniqueName('e2e-vol');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });

  /** The API as another user, with a token from POST /login. */
  async function asUser(token: string, method: string, route: string, body?: unknown): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1${route}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function userToken(name: string): Promise<string> {
    const password = `pw-${name}-correct-horse-battery`;
    expect((await slipway.api('POST', '/users', { name, email: `${name}@example.com`, password })).status).to.equal(201);
    const login = await slipway.api<{ token: string }>('POST', '/login', { name, password });
    expect(login.status).to.equal(201);
    return login.body.token;
  }

  const read = async (): Promise<string> => (await slipway.fetchApp(app, '/read')).body;

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('storage-notes', key.privateKey);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    copy?.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  it('keeps what the app wrote across a redeploy, a restart of Slipway and of the instances', async function () {
    // Without a volume, the app cannot even write there (and nothing would survive).
    const mounted = await slipway.api<ChangeJson>('POST', `/apps/${app}/storage`, { path: '/data', size: '1g' });
    expect(mounted.status, JSON.stringify(mounted.body)).to.equal(201);
    expect(mounted.body.mount).to.include({ path: '/data', processType: 'web', sizeMb: 1024, state: 'mounted' });
    expect(mounted.body.release).to.equal(2);

    expect((await slipway.fetchApp(app, '/write/first-note')).body).to.equal('written');
    expect(await read()).to.equal('first-note\n');

    // A redeploy: a config change is a new release with new instances.
    expect((await slipway.api('PATCH', `/apps/${app}/config`, { GREETING: 'hi' })).status).to.equal(200);
    expect(await read()).to.equal('first-note\n');

    await slipway.restart('platform');
    await slipway.platform.firstReconcile;
    const listed = await slipway.api<MountJson[]>('GET', `/apps/${app}/storage`);
    expect(listed.body.map((m) => [m.path, m.state])).to.deep.equal([['/data', 'mounted']]);
    expect((await slipway.api('POST', `/apps/${app}/ps/restart`, {})).status).to.equal(204);
    expect(await read()).to.equal('first-note\n');
    expect((await slipway.fetchApp(app, '/write/second-note')).body).to.equal('written');
  });

  it('lets a viewer list the mounts but not mount (403), and hides the app from others (404)', async function () {
    const viewer = await userToken(uniqueName('viewer'));
    const stranger = await userToken(uniqueName('stranger'));
    const viewerName = (await slipway.api<Array<{ name: string }>>('GET', '/users')).body.map((u) => u.name).find((n) => n.startsWith('viewer'))!;
    expect((await slipway.api('POST', `/apps/${app}/access`, { user: viewerName, permissions: ['view'] })).status).to.equal(201);

    expect(await asUser(viewer, 'GET', `/apps/${app}/storage`)).to.equal(200);
    expect(await asUser(viewer, 'POST', `/apps/${app}/storage`, { path: '/other' })).to.equal(403);
    expect(await asUser(viewer, 'DELETE', `/apps/${app}/storage?path=/data`)).to.equal(403);
    expect(await asUser(stranger, 'GET', `/apps/${app}/storage`)).to.equal(404);
    expect(await asUser(stranger, 'POST', `/apps/${app}/storage`, { path: '/other' })).to.equal(404);
    // Bad input is refused with its code, and nothing changed.
    const bad = await slipway.api<{ error: { code: string } }>('POST', `/apps/${app}/storage`, { path: '/app/../etc' });
    expect([bad.status, bad.body.error.code]).to.deep.equal([422, 'invalid_mount_path']);
    expect((await slipway.api<MountJson[]>('GET', `/apps/${app}/storage`)).body).to.have.length(1);
  });

  it('unmounts keeping the data, mounts it back, and apps:destroy removes the volume', async function () {
    const unmounted = await slipway.api<ChangeJson>('DELETE', `/apps/${app}/storage?path=/data`);
    expect(unmounted.status, JSON.stringify(unmounted.body)).to.equal(200);
    expect(unmounted.body).to.deep.include({ dataDestroyed: false });
    expect(await read()).to.equal('no notes');
    expect((await slipway.api<MountJson[]>('GET', `/apps/${app}/storage`)).body.map((m) => m.state)).to.deep.equal(['unmounted']);

    const again = await slipway.api<ChangeJson>('POST', `/apps/${app}/storage`, { path: '/data' });
    expect(again.status).to.equal(201);
    expect(again.body.mount.volume).to.equal(unmounted.body.mount.volume);
    expect(await read()).to.equal('first-note\nsecond-note\n');

    const volume = again.body.mount.volume;
    expect((await docker.listVolumes({ filters: { name: [volume] } })).Volumes?.map((v) => v.Name)).to.include(volume);
    expect((await slipway.api('DELETE', `/apps/${app}?confirm=${app}`)).status).to.equal(204);
    expect((await docker.listVolumes({ filters: { name: [volume] } })).Volumes ?? []).to.deep.equal([]);
  });
});
