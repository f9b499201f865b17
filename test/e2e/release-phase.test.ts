/** Heroku's release phase and app.json postdeploy, through real pushes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('release phase and postdeploy (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let copy: WorkingCopy;
  const app = uniqueName('phase');

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    await slipway.api('POST', '/keys', { publicKey: key.publicKey });
    await slipway.api('POST', '/apps', { name: app });
    copy = await WorkingCopy.fromFixture('release-phase', key.privateKey);
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    copy.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  it('does not deploy a release whose release command fails, and says why', async function () {
    expect((await slipway.api('PATCH', `/apps/${app}/config`, { RELEASE_EXIT: '3' })).status).to.equal(200);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('Running release command: node release.js');
    expect(push.output).to.include('migrating for v1');
    expect(push.output).to.include('the release command (node release.js) exited with code 3, so v1 was not deployed');
    expect(push.output).to.not.include('postdeploy ran');
    expect((await slipway.fetchApp(app)).status).to.equal(503);
    const ps = (await slipway.api<{ instances: unknown[] }>('GET', `/apps/${app}/ps`)).body;
    expect(ps.instances).to.deep.equal([]);
  });

  it('runs the release command, then postdeploy once, on the first deploy that succeeds', async function () {
    expect((await slipway.api('PATCH', `/apps/${app}/config`, { RELEASE_EXIT: '0' })).status).to.equal(200);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include('migrating for v2');
    expect(push.output).to.include('postdeploy ran on v2');
    expect((await slipway.fetchApp(app)).body).to.equal('release phase app v2');
  });

  it('runs the release command on later deploys, but not postdeploy', async function () {
    copy.write('note.txt', 'a change');
    await copy.commitAll('A change');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include('migrating for v3');
    expect(push.output).to.not.include('postdeploy ran');
  });
});
