import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppLogSpool } from '../../../../router/app-log-spool';
import { RouterSpoolReader } from '../../../../engine/logs/router-spool-reader';
import type { NewLogLine } from '../../../../engine/logs/log-line';
import { silentLogger } from '../../../../lib/log';

describe('router spool → platform', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-spool-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const record = (n: number) => ({
    method: 'GET', path: `/r${n}`, host: 'my-app.slipway.localhost', app: 'my-app', status: 200, bytes: 2, bytesIn: 0,
    startedAt: performance.now(), sentAt: performance.now(), firstByteAt: performance.now(), backend: 'http://127.0.0.1:1',
    requestId: `req-${n}`, code: null, attempts: 1, instance: 'my-app.web.ab12', fwd: '127.0.0.1',
  });

  it('carries each request into the app\'s stream once, across a restart of the reader, and removes finished files', async () => {
    const spool = new AppLogSpool(dir);
    spool.record(record(1), '127.0.0.1');
    spool.record(record(2), '127.0.0.1');
    spool.flush();
    const got: Array<{ app: string; line: NewLogLine }> = [];
    const sink = { write: async (app: string, lines: readonly NewLogLine[]) => { for (const line of lines) got.push({ app, line }); } };
    let reader = new RouterSpoolReader(dir, sink, (id) => (id === 'my-app.web.ab12' ? 'web.1' : ''), silentLogger());
    await reader.start();
    await reader.close();
    expect(got.map((g) => g.line.text)).to.deep.equal([
      'at=info method=GET path="/r1" host=my-app.slipway.localhost request_id=req-1 fwd="127.0.0.1" dyno=web.1 connect=0ms service=0ms status=200 bytes=2 protocol=http',
      'at=info method=GET path="/r2" host=my-app.slipway.localhost request_id=req-2 fwd="127.0.0.1" dyno=web.1 connect=0ms service=0ms status=200 bytes=2 protocol=http',
    ]);
    expect(got.every((g) => g.app === 'my-app' && g.line.source === 'router' && g.line.process === 'router')).to.equal(true);

    spool.record(record(3), '127.0.0.1');
    spool.close(); // the router stops: its file is complete
    reader = new RouterSpoolReader(dir, sink, () => 'web.1', silentLogger());
    await reader.start();
    await reader.close();
    expect(got.map((g) => g.line.text.match(/path="([^"]+)"/)![1])).to.deep.equal(['/r1', '/r2', '/r3']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.open') || f.endsWith('.done'))).to.deep.equal([]);
  });
  it('reads each line once when the folder changes while the first pass at start-up is still reading', async () => {
    const spool = new AppLogSpool(dir);
    for (let n = 1; n <= 20; n++) spool.record(record(n), '127.0.0.1');
    spool.flush();
    const got: string[] = [];
    let firstWriteSeen!: () => void;
    const firstWrite = new Promise<void>((resolve) => { firstWriteSeen = resolve; });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let writes = 0;
    const sink = {
      write: async (_app: string, lines: readonly NewLogLine[]) => {
        writes += 1;
        if (writes === 1) { firstWriteSeen(); await gate; }
        for (const line of lines) got.push(line.text.match(/path="([^"]+)"/)![1]!);
      },
    };
    const reader = new RouterSpoolReader(dir, sink, () => 'web.1', silentLogger());
    const started = reader.start();
    await firstWrite;
    // What fs.watch or the poll timer does when the router appends meanwhile.
    const poked = reader.poke();
    release();
    await Promise.all([started, poked]);
    await reader.close();
    spool.close();
    expect(got).to.deep.equal(Array.from({ length: 20 }, (_, n) => `/r${n + 1}`));
  });
});
