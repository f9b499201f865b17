import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  DeployTimeline, ended, failedPhase, splitFailure, started, trimLines, FAILURE_LINES, type TimelineStore,
} from '../../../engine/deploy-timeline';
import { openDatabase, type Database } from '../../../engine/store/database';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { DeploysRepo } from '../../../engine/store/deploys-repo';
import { FakeTimelineStore } from './fake-timeline-store';

const quiet = { warn() {} };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('engine/deploy-timeline phase rules', () => {
  it('keeps a phase\'s first start when it runs again (batches) and its last end', () => {
    let phase = started(undefined, 'start', at(1), 'web=2');
    phase = ended(phase, 'start', at(2), 'ok');
    phase = started(phase, 'start', at(5));
    expect(phase).to.include({ outcome: 'running', endedAt: null, detail: 'web=2' });
    phase = ended(phase, 'start', at(7), 'ok');
    expect(phase.startedAt).to.deep.equal(at(1));
    expect(phase.endedAt).to.deep.equal(at(7));
  });

  it('never turns a failed phase back to ok', () => {
    const failed = failedPhase(started(undefined, 'checks', at(1)), 'checks', at(3), 'web.1 did not answer', ['a']);
    expect(ended(failed, 'checks', at(4), 'ok').outcome).to.equal('failed');
  });

  it('keeps the last lines of a failure, without blank ones, each cut to a readable length', () => {
    const lines = [...Array.from({ length: 30 }, (_, i) => `line ${i}`), '', '   ', 'x'.repeat(900)];
    const kept = trimLines(lines);
    expect(kept).to.have.length(FAILURE_LINES);
    expect(kept[0]).to.equal('line 11');
    expect(kept.at(-1)!.length).to.equal(501);
  });

  it('splits a deploy failure into its reason and the instance lines the deployer appended', () => {
    expect(splitFailure('web process exited while starting\nLast lines of its log:\nError: boom\n  at main.js:1'))
      .to.deep.equal({ reason: 'web process exited while starting', lines: ['Error: boom', '  at main.js:1'] });
  });
});

describe('engine/deploy-timeline DeployTimeline', () => {
  function rig() {
    const store = new FakeTimelineStore();
    const announced: string[] = [];
    let clock = 0;
    const timeline = new DeployTimeline({ store, announce: (app) => announced.push(app), logger: quiet, now: () => at(clock++) });
    return { store, announced, timeline };
  }

  it('stores a deploy before answering and announces it, so a live view lists it at once', async () => {
    const { store, announced, timeline } = rig();
    await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'push', commit: 'a'.repeat(40), actor: { id: 2, name: 'ann' } as never });
    expect(store.deploys).to.have.length(1);
    expect(store.deploys[0]).to.include({ status: 'running', createdBy: 'ann', kind: 'push' });
    expect(announced).to.deep.equal(['shop']);
  });

  it('appends each phase as it moves, in order, and announces each', async () => {
    const { store, announced, timeline } = rig();
    const run = await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'push' });
    run.start('receive');
    run.ok('receive');
    run.attachBuild('b1');
    run.start('build', 'buildpacks');
    await run.flush();
    expect(store.writes).to.deep.equal(['create', 'receive running', 'receive ok', 'update buildId', 'build running']);
    expect(announced).to.have.length(5);
    const [deploy] = await store.list(1, 10);
    expect(deploy!.phases.map((p) => `${p.name}:${p.outcome}`)).to.deep.equal(['receive:ok', 'build:running']);
  });

  it('records config changes and rollbacks with receive, build and push skipped', async () => {
    const { store, timeline } = rig();
    const run = await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'rollback' });
    await run.flush();
    expect(store.deploys[0]!.phases.map((p) => `${p.name}:${p.outcome}`)).to.deep.equal(['receive:skipped', 'build:skipped', 'push:skipped']);
  });

  it('fails the running phase with the failure\'s reason and lines, and the deploy with its reason', async () => {
    const { store, timeline } = rig();
    const run = await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'push' });
    run.start('checks');
    run.failed(new Error('web process exited while starting\nLast lines of its log:\nError: no PORT'));
    await run.flush();
    const deploy = store.deploys[0]!;
    expect(deploy).to.include({ status: 'failed', reason: 'web process exited while starting' });
    expect(deploy.phases[0]).to.include({ name: 'checks', outcome: 'failed', reason: 'web process exited while starting' });
    expect(deploy.phases[0]!.lines).to.deep.equal(['Error: no PORT']);
  });

  it('explains a failure that brings no lines with the deploy\'s last output (a release command)', async () => {
    const { store, timeline } = rig();
    const run = await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'config' });
    run.start('release-phase', 'node migrate.js');
    run.note('  migrating…');
    run.note('  Error: relation "users" does not exist');
    run.failed(new Error('the release command (node migrate.js) exited with code 1, so v3 was not deployed'));
    await run.flush();
    const phase = store.deploys[0]!.phases.find((p) => p.name === 'release-phase')!;
    expect(phase.lines).to.deep.equal(['  migrating…', '  Error: relation "users" does not exist']);
  });

  it('keeps deploying when the store fails: the failure is logged, not thrown', async () => {
    const warnings: unknown[] = [];
    const broken: TimelineStore = { ...new FakeTimelineStore(), create: () => Promise.reject(new Error('disk full')) } as unknown as TimelineStore;
    const timeline = new DeployTimeline({ store: broken, announce: () => {}, logger: { warn: (o: unknown) => warnings.push(o) } });
    const run = await timeline.begin({ app: { id: 1, name: 'shop' }, kind: 'push' });
    run.start('receive');
    run.succeed();
    await run.flush();
    expect(warnings).to.have.length(1);
  });
});

/** The same behaviour from the fake and from the knex store on SQLite. */
function contract(name: string, make: () => Promise<{ store: TimelineStore; appId: number; close(): Promise<void> }>) {
  describe(`TimelineStore contract: ${name}`, () => {
    let subject: Awaited<ReturnType<typeof make>>;
    beforeEach(async () => { subject = await make(); });
    afterEach(async () => { await subject.close(); });

    it('lists the newest deploy first with its phases in order, and finds it by release and by build', async () => {
      const { store, appId } = subject;
      const first = await store.create({ appId, kind: 'push', commit: 'a'.repeat(40), createdBy: 'ann', startedAt: at(1) });
      const second = await store.create({ appId, kind: 'config', commit: null, createdBy: null, startedAt: at(9) });
      await store.update(first, { buildId: 'b1', releaseVersion: 1, status: 'succeeded', endedAt: at(8) });
      await store.update(second, { releaseVersion: 2 });
      await store.savePhase(first, { ...started(undefined, 'build', at(2), 'buildpacks') });
      await store.savePhase(first, { ...started(undefined, 'receive', at(1)) });
      await store.savePhase(first, ended(started(undefined, 'receive', at(1)), 'receive', at(2), 'ok'));
      await store.savePhase(first, failedPhase(undefined, 'checks', at(5), 'boom', ['Error: x']));

      const list = await store.list(appId, 10);
      expect(list.map((d) => d.id)).to.deep.equal([second, first]);
      const deploy = list[1]!;
      expect(deploy).to.include({ kind: 'push', status: 'succeeded', buildId: 'b1', releaseVersion: 1, createdBy: 'ann' });
      expect(deploy.startedAt.getTime()).to.equal(at(1).getTime());
      expect(deploy.phases.map((p) => `${p.name}:${p.outcome}`)).to.deep.equal(['receive:ok', 'build:running', 'checks:failed']);
      expect(deploy.phases[0]!.endedAt!.getTime()).to.equal(at(2).getTime());
      expect(deploy.phases[1]!.detail).to.equal('buildpacks');
      expect(deploy.phases[2]).to.include({ reason: 'boom' });
      expect(deploy.phases[2]!.lines).to.deep.equal(['Error: x']);
      expect((await store.forRelease(appId, 2))!.id).to.equal(second);
      expect((await store.forBuild('b1'))!.id).to.equal(first);
      expect(await store.forRelease(appId, 7)).to.equal(null);
      expect(await store.list(appId, 1)).to.have.length(1);
    });
  });
}

contract('FakeTimelineStore', async () => ({ store: new FakeTimelineStore(), appId: 1, close: async () => {} }));
contract('DeploysRepo (SQLite)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-timeline-'));
  const db: Database = await openDatabase(`sqlite://${path.join(tmp, 'db.sqlite3')}`);
  const app = await new AppsRepo(db).create('shop');
  return { store: new DeploysRepo(db), appId: app.id, close: async () => { await db.destroy(); fs.rmSync(tmp, { recursive: true, force: true }); } };
});
