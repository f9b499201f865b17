/** Backups and schedules of add-ons: the service on a real store and files, with fake servers; the pure schedule rules. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { BackupFiles } from '../../../../engine/addons/backup-files';
import { BackupsService } from '../../../../engine/addons/backups-service';
import type { Addon, Backup } from '../../../../engine/addons/model';
import { backupsToPrune, isDue, latestOccurrence, parseAt } from '../../../../engine/addons/schedule';
import { BackupScheduler } from '../../../../engine/addons/scheduler';
import { BackupsRepo } from '../../../../engine/store/backups-repo';
import { silentLogger } from '../../../../lib/log';
import { harness, refusal, type Harness } from './harness';

function backup(number: number, status: Backup['status'], trigger: Backup['trigger'] = 'scheduled'): Backup {
  return { id: number, addonId: 1, number, status, trigger, sizeBytes: 10, durationMs: 5, startedAt: null, finishedAt: null, error: null, counts: null, createdAt: new Date(0) };
}

describe('engine/addons backups', function () {
  this.timeout(30_000);
  let h: Harness;
  let backups: BackupsService;
  let repo: BackupsRepo;
  let root: string;
  let addon: Addon;
  let clock: Date;

  beforeEach(async () => {
    h = await harness();
    root = path.join(h.tmp, 'state', 'addon-backups');
    repo = new BackupsRepo(h.db);
    clock = new Date('2026-03-01T10:00:00Z');
    backups = new BackupsService(h.service, h.repo, repo, h.servers, new BackupFiles(root), silentLogger(), () => clock);
    const created = await h.service.create('shop', { kind: 'postgresql' });
    await h.service.converge(created.addon.id);
    addon = await h.repo.get(created.addon.name);
  });
  afterEach(async () => { await h.close(); });

  it('captures, verifies, lists newest first and downloads a file only its owner reads', async () => {
    const first = await backups.capture(addon.name);
    expect(first.backup.status).to.equal('pending');
    expect((await first.done).status).to.equal('verified');
    await (await backups.capture(addon.name)).done;
    const list = await backups.list(addon.name);
    expect(list.map((b) => [b.number, b.status])).to.deep.equal([[2, 'verified'], [1, 'verified']]);
    expect(list[0]!.sizeBytes).to.equal('dump of rows'.length);
    expect(list[0]!.counts).to.deep.equal({ 'public.items': 3 });
    const file = path.join(root, String(addon.id), '1.dump');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(root).mode & 0o777).to.equal(0o700);
    const download = await backups.download(addon.name);
    expect(download.backup.number).to.equal(2);
    let text = '';
    for await (const chunk of download.stream) text += String(chunk);
    expect(text).to.equal('dump of rows');
  });

  it('never reports a failed dump as a success: failed with the reason, no file, not downloadable', async () => {
    h.servers.backupError = new Error('pg_dump: server closed the connection unexpectedly');
    const { done } = await backups.capture(addon.name);
    const failed = await done;
    expect(failed.status).to.equal('failed');
    expect(failed.error).to.equal('the capture failed: pg_dump: server closed the connection unexpectedly');
    expect(fs.existsSync(path.join(root, String(addon.id), '1.dump'))).to.equal(false);
    expect((await refusal(backups.download(addon.name, 'b001'))).message).to.include('is failed (the capture failed');
    expect((await refusal(backups.download(addon.name))).code).to.equal('backup_not_found');
  });

  it('fails a backup whose verify step does not pass', async () => {
    h.servers.verifyOk = false;
    const failed = await (await backups.capture(addon.name)).done;
    expect(failed.status).to.equal('failed');
    expect(failed.error).to.equal('the verify step failed: public.items: expected 3 rows, found 0');
    expect(h.events.slice(-2)).to.deep.equal([`backup ${addon.name}`, 'verify postgresql']);
  });

  it('fails backups a stopped Slipway left running', async () => {
    const pending = await repo.create(addon.id, 'manual');
    await repo.update(pending.id, { status: 'running' });
    expect(await backups.failUnfinished()).to.equal(1);
    const [only] = await backups.list(addon.name);
    expect(only).to.include({ status: 'failed', error: 'Slipway stopped while this backup ran: capture it again.' });
  });

  it('restores only with --confirm NAME and only a verified backup', async () => {
    await (await backups.capture(addon.name)).done;
    h.servers.servers.get(addon.name)!.data = 'dropped';
    expect((await refusal(backups.restore(addon.name, 'b001', 'nope'))).code).to.equal('confirmation_required');
    expect(h.servers.servers.get(addon.name)!.data).to.equal('dropped');
    await backups.restore(addon.name, 'b001', addon.name);
    expect(h.servers.servers.get(addon.name)!.data).to.equal('rows');
    expect((await refusal(backups.restore(addon.name, 'b009', addon.name))).code).to.equal('backup_not_found');
  });

  it('refuses backups of external services', async () => {
    const external = await h.service.create('blog', { kind: 'external', url: 'redis://cache.example.com:6379' });
    expect((await refusal(backups.capture(external.addon.name))).message).to.include('external service');
  });

  it('runs a schedule at its time (not at once), then prunes to keep N verified scheduled backups', async () => {
    const schedule = await backups.setSchedule(addon.name, '02:00', 2);
    expect(schedule).to.include({ at: '02:00', keep: 2 });
    const scheduler = new BackupScheduler(h.repo, repo, backups, silentLogger());
    await scheduler.tick(new Date('2026-03-01T23:00:00Z'));
    expect(await backups.list(addon.name)).to.deep.equal([]);
    await (await backups.capture(addon.name, 'manual')).done;
    for (const day of ['02', '03', '04']) {
      clock = new Date(`2026-03-${day}T02:00:30Z`);
      await scheduler.tick(clock);
      await scheduler.tick(clock); // once per day
    }
    const list = await backups.list(addon.name);
    expect(list.map((b) => [b.number, b.trigger])).to.deep.equal([[4, 'scheduled'], [3, 'scheduled'], [1, 'manual']]);
    expect(fs.existsSync(path.join(root, String(addon.id), '2.dump'))).to.equal(false);
    expect((await refusal(backups.setSchedule(addon.name, '25:00', 2))).message).to.include('HH:MM');
    expect((await refusal(backups.setSchedule(addon.name, '02:00', 0))).message).to.include('--keep');
  });

  describe('schedule rules (pure)', () => {
    it('reads HH:MM and finds the latest occurrence in UTC', () => {
      expect(parseAt('2:05')).to.equal('02:05');
      expect(latestOccurrence('02:00', new Date('2026-03-01T01:00:00Z')).toISOString()).to.equal('2026-02-28T02:00:00.000Z');
      expect(latestOccurrence('02:00', new Date('2026-03-01T02:00:00Z')).toISOString()).to.equal('2026-03-01T02:00:00.000Z');
      expect(isDue({ addonId: 1, at: '02:00', keep: 1, lastRunAt: new Date('2026-03-01T01:59:00Z') }, new Date('2026-03-01T02:01:00Z'))).to.equal(true);
      expect(isDue({ addonId: 1, at: '02:00', keep: 1, lastRunAt: new Date('2026-03-01T02:01:00Z') }, new Date('2026-03-02T01:00:00Z'))).to.equal(false);
    });

    it('prunes scheduled backups older than the keep-th verified one, never manual ones, and nothing while too few are verified', () => {
      const list = [backup(6, 'failed'), backup(5, 'verified'), backup(4, 'verified', 'manual'), backup(3, 'verified'), backup(2, 'failed'), backup(1, 'verified')];
      expect(backupsToPrune(list, 2).map((b) => b.number)).to.deep.equal([2, 1]);
      expect(backupsToPrune(list, 3)).to.deep.equal([]);
      expect(backupsToPrune([backup(3, 'failed'), backup(2, 'failed'), backup(1, 'verified')], 1)).to.deep.equal([]);
    });
  });
});
