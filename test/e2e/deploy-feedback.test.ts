/**
 * What a push tells its user (issue 10: bugs 2, 5, 6 and 7), through real pushes: app.json
 * refused before the build, health check progress, a failed start quoted without npm's noise,
 * app.json buildpacks against buildpacks:clear, apps without a web process, and Dokku's scripts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface PsJson { formation: Array<{ type: string; quantity: number }>; instances: Array<{ type: string; state: string }> }

describe('what a push says (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let privateKey: string;
  const copies: WorkingCopy[] = [];
  const apps: string[] = [];

  async function newApp(prefix: string, fixture: string): Promise<{ app: string; copy: WorkingCopy }> {
    const app = uniqueName(prefix);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    apps.push(app);
    const copy = await WorkingCopy.fromFixture(fixture, privateKey);
    copies.push(copy);
    return { app, copy };
  }

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    privateKey = key.privateKey;
    await slipway.api('POST', '/keys', { publicKey: key.publicKey });
  });

  after(async function () {
    for (const app of apps) await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    for (const copy of copies) copy.remove();
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  describe('an app whose first deploys fail', function () {
    let app: string;
    let copy: WorkingCopy;

    before(async function () {
      ({ app, copy } = await newApp('feedback', 'start-feedback'));
    });

    it('refuses absurd health check values before building, naming the field and the allowed range', async function () {
      const appJson = JSON.parse(fs.readFileSync(path.join(copy.dir, 'app.json'), 'utf8')) as { healthchecks: { web: Array<Record<string, unknown>> } };
      appJson.healthchecks.web[0]!.attempts = 1e6;
      copy.write('app.json', JSON.stringify(appJson));
      await copy.commitAll('Absurd attempts');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('app.json: healthchecks.web[0].attempts is 1000000, out of range: it must be from 1 to 60');
      expect(push.output).to.not.include('-----> Building');
      const builds = (await slipway.api<unknown[]>('GET', `/apps/${app}/builds`)).body;
      expect(builds).to.deep.equal([]);
    });

    it('applies app.json buildpacks on the first build and reports each check attempt while it fails', async function () {
      await copy.git('checkout', '-q', 'HEAD~1', '--', 'app.json');
      await copy.commitAll('Sane attempts');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('app.json: buildpacks set to procfile');
      expect(push.output).to.include('web.1: startup check /nope: attempt 1 of 2: GET /nope answered 404, next in 1 s');
      expect(push.output).to.include('web.1: startup check /nope: attempt 2 of 2: GET /nope answered 404');
      expect(push.output).to.include('startup check /nope failed: GET /nope answered 404 after 2 attempt(s)');
    });

    it('keeps buildpacks:clear on the next first-deploy push, says so, and quotes the crash without npm\'s ERR! lines', async function () {
      expect((await slipway.api('DELETE', `/apps/${app}/buildpacks`)).status).to.equal(200);
      copy.write('Procfile', 'web: node crash.js\n');
      await copy.commitAll('Crash on start');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('app.json: buildpacks procfile not applied');
      expect(push.output).to.include('(buildpacks:clear)');
      expect(push.output).to.not.include('buildpacks set to procfile');
      expect(push.output).to.include('-----> Building with the Dockerfile');
      expect((await slipway.api<unknown[]>('GET', `/apps/${app}/buildpacks`)).body).to.deep.equal([]);
      expect(push.output).to.include('web process exited while starting');
      expect(push.output).to.include("Last lines of its log (npm's own error lines left out):");
      expect(push.output).to.include("Error: Cannot find module 'express'");
      expect(push.output).to.not.include('npm ERR!');
    });
  });

  describe('an app without a web process', function () {
    it('refuses an undeclared type once a build is known; drops one set before, with a warning; says no URL serves it', async function () {
      const { app, copy } = await newApp('worker', 'worker-only');
      expect((await slipway.api('PATCH', `/apps/${app}/formation`, { nosuchtype: 1 })).status).to.equal(200);
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('The formation had nosuchtype=1, but this build declares no such process type (it declares worker): dropped it.');
      expect(push.output).to.include('Deployed to Slipway: worker=1 running.');
      expect(push.output).to.include(`No URL serves ${app}: only a web process receives HTTP, and the Procfile declares none`);
      expect(push.output).to.not.include(' deployed to Slipway');
      const ps = (await slipway.api<PsJson>('GET', `/apps/${app}/ps`)).body;
      expect(ps.formation.map((f) => f.type)).to.not.include('nosuchtype');
      expect(ps.instances.filter((i) => i.type === 'worker')).to.have.length(1);
      const refused = await slipway.api<{ error: { code: string; message: string } }>('PATCH', `/apps/${app}/formation`, { nosuchtype: 1 });
      expect(refused.status).to.equal(400);
      expect(refused.body.error.message).to.include('No process type nosuchtype');
    });
  });

  describe('an app brought from Dokku', function () {
    it('runs scripts.dokku.predeploy before the release goes live and postdeploy after, and names what it ignores', async function () {
      const { app, copy } = await newApp('dokku', 'dokku-scripts');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('app.json: scripts.test is not run by Slipway and is ignored');
      expect(push.output).to.include('Running Dokku predeploy script: echo predeploy ran on');
      expect(push.output).to.include('predeploy ran on v1');
      expect(push.output).to.include('-----> Running Dokku postdeploy script: echo dokku postdeploy ran on $SLIPWAY_RELEASE');
      expect(push.output).to.include('dokku postdeploy ran on v1');
      expect(push.output.indexOf('predeploy ran on v1')).to.be.lessThan(push.output.indexOf('Starting 1 web of v1'));
      expect(push.output.indexOf('dokku postdeploy ran on v1')).to.be.greaterThan(push.output.indexOf('Released v1'));
      expect((await slipway.fetchApp(app)).body).to.equal('dokku scripts app v1');
    });
  });
});
