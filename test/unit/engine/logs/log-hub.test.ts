/**
 * An app's stream when the app goes or changes its name: a destroyed app's history, followers and
 * counters go (a new app of that name starts empty, a `logs -t` ends); a renamed app keeps its
 * history and followers under the new name, and its old instances' last lines land there too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { LogHub } from '../../../../engine/logs/log-hub';
import type { LogLine } from '../../../../engine/logs/log-line';
import { LogStore } from '../../../../engine/logs/log-store';
import { silentLogger } from '../../../../lib/log';

const line = (text: string, process = 'web.1') => ({ time: Date.now() * 1000, source: 'app' as const, process, text });

describe('engine/logs/log-hub: destroy and rename', () => {
  let root: string;
  let store: LogStore;
  let hub: LogHub;
  const texts = async (app: string): Promise<string[]> => (await hub.read(app, { lines: 100 })).map((l) => l.text);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-hub-'));
    store = new LogStore(root, { maxLines: 1000, maxAgeMs: 86_400_000, maxBytes: 1 << 24 }, silentLogger());
    hub = new LogHub(store, { ratePerSecond: 1000 }, silentLogger());
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('forget drops the history on disk, ends the followers, and a new app of that name starts empty', async () => {
    await hub.write('my-app', [line('before destroy')]);
    await store.flush();
    expect(fs.existsSync(path.join(root, 'my-app'))).to.equal(true);
    let ended = false;
    const got: string[] = [];
    hub.follow('my-app', (lines) => got.push(...lines.map((l) => l.text)), () => { ended = true; });
    await hub.forget('my-app');
    expect(ended).to.equal(true);
    expect(fs.existsSync(path.join(root, 'my-app'))).to.equal(false);
    await hub.write('my-app', [line('a new app')]);
    expect(await texts('my-app')).to.deep.equal(['a new app']);
    expect(got).to.deep.equal([]);
    expect((await hub.read('my-app', { lines: 10 }))[0]!.seq).to.equal(1);
  });

  it('rename keeps history and followers under the new name; the old instances\' lines follow; the old name is then free', async () => {
    await hub.write('old-name', [line('one'), line('two')]);
    const followed: LogLine[] = [];
    hub.follow('old-name', (lines) => followed.push(...lines));
    await hub.rename('old-name', 'new-name');
    await hub.write('old-name', [line('old instance, still serving')]);
    await hub.write('new-name', [line('new instance up')]);
    expect(await texts('new-name')).to.deep.equal(['one', 'two', 'old instance, still serving', 'new instance up']);
    expect(followed.map((l) => l.text)).to.deep.equal(['old instance, still serving', 'new instance up']);
    expect(followed.map((l) => l.seq)).to.deep.equal([3, 4]);
    await hub.finishRename('old-name');
    expect(fs.existsSync(path.join(root, 'old-name'))).to.equal(false);
    expect(await texts('old-name')).to.deep.equal([]);
    await store.close();
    // Survives a restart under the new name.
    const again = new LogStore(root, { maxLines: 1000, maxAgeMs: 86_400_000, maxBytes: 1 << 24 }, silentLogger());
    expect((await again.read('new-name', { lines: 10 })).map((l) => l.text)).to.deep.equal(['one', 'two', 'old instance, still serving', 'new instance up']);
    await again.close();
  });

  it('a rename onto a name with stale history (an app destroyed before forget existed) keeps only the renamed app\'s', async () => {
    await hub.write('taken', [line('stale')]);
    await store.flush();
    await hub.write('mine', [line('mine')]);
    await hub.rename('mine', 'taken');
    expect(await texts('taken')).to.deep.equal(['mine']);
  });

  it('a follower stopped after a rename gets nothing more', async () => {
    const got: string[] = [];
    const stop = hub.follow('a-app', (lines) => got.push(...lines.map((l) => l.text)));
    await hub.rename('a-app', 'b-app');
    stop();
    await hub.write('b-app', [line('after stop')]);
    expect(got).to.deep.equal([]);
  });
});
