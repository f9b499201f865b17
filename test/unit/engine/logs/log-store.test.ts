import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogStore } from '../../../../engine/logs/log-store';
import type { NewLogLine } from '../../../../engine/logs/log-line';
import { silentLogger } from '../../../../lib/log';

const line = (i: number, extra: Partial<NewLogLine> = {}): NewLogLine => ({ time: 1_000_000 * (1_800_000_000 + i), source: 'app', process: 'web.1', text: `line ${i}`, ...extra });

describe('engine/logs/log-store', () => {
  let root: string;
  const NOW = (1_800_000_000 + 100_000) * 1000;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-logs-')); });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const open = (maxLines = 1000, maxBytes = 64 * 1024 * 1024) =>
    new LogStore(root, { maxLines, maxAgeMs: 7 * 86_400_000, maxBytes }, silentLogger(), () => NOW);

  it('numbers lines and answers the last n, oldest first', async () => {
    const store = open();
    const kept = await store.append('my-app', [line(1), line(2), line(3)]);
    expect(kept.map((l) => l.seq)).to.deep.equal([1, 2, 3]);
    expect((await store.read('my-app', { lines: 2 })).map((l) => l.text)).to.deep.equal(['line 2', 'line 3']);
    await store.close();
  });

  it('keeps history, numbering and cursors across a restart, in owner-only files', async () => {
    const first = open();
    await first.append('my-app', [line(1), line(2)], { container: 'abc', time: '2026-12-05T18:00:00.1Z' });
    await first.close();
    const second = open();
    expect((await second.read('my-app', { lines: 10 })).map((l) => l.text)).to.deep.equal(['line 1', 'line 2']);
    expect((await second.append('my-app', [line(3)]))[0]!.seq).to.equal(3);
    expect(await second.cursors('my-app')).to.deep.equal({ abc: '2026-12-05T18:00:00.1Z' });
    await second.close();
    expect(fs.statSync(path.join(root, 'my-app')).mode & 0o777).to.equal(0o700);
    for (const name of fs.readdirSync(path.join(root, 'my-app'))) expect(fs.statSync(path.join(root, 'my-app', name)).mode & 0o777).to.equal(0o600);
  });

  it('keeps at most the last maxLines lines, and deletes old segments from disk', async () => {
    const store = open(100);
    for (let i = 1; i <= 1000; i += 1) await store.append('noisy', [line(i)]);
    const all = await store.read('noisy', { lines: 10_000 });
    expect(all.length).to.equal(100);
    expect(all[0]!.text).to.equal('line 901');
    await store.close();
    const files = fs.readdirSync(path.join(root, 'noisy')).filter((f) => f.endsWith('.log'));
    expect(files.length).to.be.at.most(3);
  });

  it('bounds the bytes of an app whatever its line count', async () => {
    const store = open(1_000_000, 1024 * 1024);
    const big = 'x'.repeat(5000);
    for (let i = 1; i <= 1000; i += 1) await store.append('chatty', [line(i, { text: big })]);
    await store.close();
    const bytes = fs.readdirSync(path.join(root, 'chatty')).reduce((sum, f) => sum + fs.statSync(path.join(root, 'chatty', f)).size, 0);
    expect(bytes).to.be.below(1.3 * 1024 * 1024);
  });

  it('drops lines older than the age limit', async () => {
    const store = new LogStore(root, { maxLines: 1000, maxAgeMs: 3600_000, maxBytes: 1 << 26 }, silentLogger(), () => NOW);
    await store.append('old', [{ ...line(0), time: (NOW - 7200_000) * 1000 }, { ...line(1), time: (NOW - 60_000) * 1000 }]);
    expect((await store.read('old', { lines: 10 })).map((l) => l.text)).to.deep.equal(['line 1']);
    await store.close();
  });

  it('filters by process, source and time', async () => {
    const store = open();
    await store.append('my-app', [line(1), line(2, { process: 'worker.1' }), line(3, { source: 'router', process: 'router' })]);
    expect((await store.read('my-app', { lines: 10, ps: 'worker' })).map((l) => l.text)).to.deep.equal(['line 2']);
    expect((await store.read('my-app', { lines: 10, source: 'router' })).map((l) => l.text)).to.deep.equal(['line 3']);
    expect((await store.read('my-app', { lines: 10, sinceMicros: line(2).time })).map((l) => l.text)).to.deep.equal(['line 2', 'line 3']);
    await store.close();
  });

  it('refuses a name that is no app name (no path outside the store)', async () => {
    const store = open();
    let error: unknown = null;
    try { await store.append('../etc', [line(1)]); } catch (e) { error = e; }
    expect(String(error)).to.match(/not an app name/);
    await store.close();
  });
});
