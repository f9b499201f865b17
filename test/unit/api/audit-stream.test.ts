import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { lastEventId, missedSince, streamAudit, type AuditFeed } from '../../../api/audit-stream';
import { SseParser, type SseEvent } from '../../../cli/event-stream';

interface Entry { id: number; action: string }

/** A feed over an array (newest last), with live entries pushed by the test. */
function fakeFeed(stored: Entry[]) {
  const listeners = new Set<(e: Entry) => void>();
  let followed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => { followed = resolve; });
  const feed: AuditFeed<Entry> = {
    async page(before, limit) {
      const older = stored.filter((e) => before === undefined || e.id < before).reverse();
      const entries = older.slice(0, limit);
      return { entries, next: older.length > limit ? entries[entries.length - 1]!.id : null };
    },
    async follow(onEntry) {
      listeners.add(onEntry);
      followed();
      return () => listeners.delete(onEntry);
    },
  };
  return { feed, subscribed, publish: (e: Entry) => { stored.push(e); listeners.forEach((l) => l(e)); }, listeners };
}

describe('api/audit-stream', () => {
  it('reads Last-Event-ID as an entry id, nothing else', () => {
    expect(lastEventId('42')).to.equal(42);
    expect(lastEventId(undefined)).to.equal(null);
    expect(lastEventId('4x')).to.equal(null);
    expect(lastEventId('-1')).to.equal(null);
  });

  it('finds the entries after an id across pages, oldest first', async () => {
    const stored = Array.from({ length: 1200 }, (_, i) => ({ id: i + 1, action: 'a' }));
    const { feed } = fakeFeed(stored);
    const missed = await missedSince(feed, 100);
    expect(missed.truncated).to.equal(false);
    expect(missed.entries.map((e) => e.id)).to.deep.equal(Array.from({ length: 1100 }, (_, i) => i + 101));
    expect((await missedSince(feed, 1200)).entries).to.deep.equal([]);
  });

  it('streams missed entries, then live ones, each once, and unsubscribes when the client goes', async () => {
    const { feed, subscribed, publish, listeners } = fakeFeed([{ id: 1, action: 'old' }, { id: 2, action: 'missed' }, { id: 3, action: 'missed too' }]);
    const app = express();
    app.get('/stream', (req, res) => { void streamAudit(req, res, feed, (e) => e); });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const events: SseEvent[] = [];
    const parser = new SseParser();
    try {
      const gotThree = new Promise<http.ClientRequest>((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', path: '/stream', headers: { 'last-event-id': '1' } }, (res) => {
          expect(res.headers['content-type']).to.match(/^text\/event-stream/);
          res.setEncoding('utf8').on('data', (chunk: string) => {
            events.push(...parser.push(chunk));
            if (events.length >= 3) resolve(req);
          });
        });
        req.on('error', reject);
      });
      await subscribed;
      publish({ id: 4, action: 'live' });
      publish({ id: 3, action: 'a duplicate, dropped' });
      const req = await gotThree;
      expect(events.map((e) => [e.id, e.event, (JSON.parse(e.data) as Entry).action])).to.deep.equal([
        ['2', 'audit', 'missed'], ['3', 'audit', 'missed too'], ['4', 'audit', 'live'],
      ]);
      req.destroy();
      await new Promise<void>((resolve) => { const check = () => (listeners.size === 0 ? resolve() : setTimeout(check, 5)); check(); });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
