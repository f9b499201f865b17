/**
 * A drain's unsent lines survive a restart of Slipway: the receiver is down, the app logs, the
 * drains and the log store stop (as Slipway does) and start again on the same state dir, the
 * receiver comes up, and every line arrives at least once. Past the buffer, the oldest go and the
 * stream says so (L10). The cursor files are owner-only.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DrainCursors } from '../../../engine/logs/drains/drain-cursors';
import { DrainAddressGuard } from '../../../engine/logs/drains/drain-guard';
import type { DrainRecord, DrainsRepo } from '../../../engine/logs/drains/drains-repo';
import { DrainsService } from '../../../engine/logs/drains/drains-service';
import { parseOctetFrames } from '../../../engine/logs/drains/syslog-frame';
import { LogHub } from '../../../engine/logs/log-hub';
import { LogStore } from '../../../engine/logs/log-store';
import { silentLogger } from '../../../lib/log';
import { certDir, makeCert, type TestCert } from '../../support/certs';
import { freePort } from '../../support/slipway';
import { waitFor } from '../engine/wait-for';

/** The drains table, in memory (the table itself is tested with the store). */
function fakeRepo(): DrainsRepo {
  const rows: DrainRecord[] = [];
  return {
    all: async () => [...rows],
    forApp: async (appId: number) => rows.filter((r) => r.appId === appId),
    add: async (appId: number, url: string) => {
      const row = { id: '00000000-0000-4000-8000-00000000000' + String(rows.length + 1), app: 'my-app', appId, url, token: 'd.token', createdAt: new Date() };
      rows.push(row);
      return { id: row.id, token: row.token };
    },
    remove: async () => true,
    count: async () => rows.length,
  } as unknown as DrainsRepo;
}

describe('engine/logs drains across a restart of Slipway', () => {
  let dir: string;
  let state: string;
  let cert: TestCert;
  const apps = { get: async (name: string) => ({ id: 1, name }) };
  const repo = fakeRepo();

  before(async () => {
    dir = certDir();
    cert = await makeCert(dir, { cn: 'localhost', sans: ['localhost'] });
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-drain-restart-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(state, { recursive: true, force: true });
  });

  /** The logging parts as Slipway makes them, on `state`. */
  function start(bufferLines: number): { hub: LogHub; store: LogStore; drains: DrainsService } {
    const store = new LogStore(path.join(state, 'apps'), { maxLines: 10_000, maxAgeMs: 86_400_000, maxBytes: 1 << 26 }, silentLogger());
    const hub = new LogHub(store, { ratePerSecond: 100_000 }, silentLogger());
    const drains = new DrainsService(apps as never, repo, hub, { bufferLines, caFile: cert.certFile },
      new DrainAddressGuard(true), new DrainCursors(path.join(state, 'drains')), silentLogger());
    return { hub, store, drains };
  }
  async function stop(parts: { store: LogStore; drains: DrainsService }): Promise<void> {
    await parts.drains.close();
    await parts.store.close();
  }
  const lines = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ time: Date.now() * 1000, source: 'app' as const, process: 'web.1', text: `line ${from + i}` }));

  function receiver(port: number, received: string[]): Promise<https.Server> {
    const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(...parseOctetFrames(Buffer.concat(chunks)).messages.map((m) => m.replace(/^<\d+>1 \S+ my-app \S+ \S+ - - /, '')));
        res.writeHead(204).end();
      });
    });
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
  }

  it('delivers every line written while the receiver was down, after Slipway restarted', async () => {
    const port = await freePort();
    let parts = start(10_000);
    await parts.drains.start();
    await parts.hub.write('my-app', lines(1, 50)); // before the drain: not owed
    await parts.drains.add('my-app', `https://localhost:${port}/ingest`, 'alice');
    await parts.hub.write('my-app', lines(51, 400));
    await waitFor('the lines to wait for the receiver', async () => (await parts.drains.list('my-app'))[0]!.pending >= 400);
    await stop(parts);

    const cursorFiles = fs.readdirSync(path.join(state, 'drains'));
    expect(cursorFiles).to.have.length(1);
    expect(fs.statSync(path.join(state, 'drains', cursorFiles[0]!)).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.join(state, 'drains')).mode & 0o777).to.equal(0o700);

    parts = start(10_000);
    await parts.drains.start();
    const received: string[] = [];
    const server = await receiver(port, received);
    try {
      await waitFor('every owed line at the receiver', async () => {
        const texts = new Set(received);
        for (let i = 51; i <= 450; i += 1) if (!texts.has(`line ${i}`)) return false;
        return true;
      }, { timeoutMs: 60_000 });
      expect(received).not.to.include('line 50');
      // Delivered and confirmed: a second restart sends nothing again.
      await waitFor('the drain to confirm', async () => (await parts.drains.list('my-app'))[0]!.pending === 0);
      await stop(parts);
      const count = received.length;
      parts = start(10_000);
      await parts.drains.start();
      expect((await parts.drains.list('my-app'))[0]!.pending).to.equal(0);
      await parts.hub.write('my-app', lines(451, 1));
      await waitFor('the new line', async () => received.includes('line 451'));
      expect(received.length).to.equal(count + 1);
    } finally {
      await stop(parts);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps at most its buffer across a restart: the oldest go, and the stream says so (L10)', async () => {
    const port = await freePort();
    // The drain of the first test is still owed nothing; this one's endpoint stays down.
    let parts = start(100);
    await parts.drains.start();
    const view = await parts.drains.add('my-app', `https://localhost:${port}/other`, null);
    await parts.hub.write('my-app', lines(1000, 150));
    await waitFor('the buffer to fill', async () => (await parts.drains.list('my-app')).find((d) => d.id === view.id)!.pending === 100);
    await stop(parts);
    parts = start(100);
    await parts.drains.start();
    try {
      expect((await parts.drains.list('my-app')).find((d) => d.id === view.id)!.pending).to.be.at.most(101);
      const told = await waitFor('an L10 line', async () =>
        (await parts.hub.read('my-app', { lines: 20, source: 'slipway' })).find((l) => /Error L10/.test(l.text)));
      expect(told.text).to.match(/messages dropped/);
    } finally {
      await stop(parts);
    }
  });
});
