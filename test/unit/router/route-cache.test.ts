import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRouteCache, routeCacheFile, writeRouteCache, type RouteCacheData } from '../../../router/route-cache';

describe('router/route-cache', () => {
  let dir: string;
  let file: string;
  const data: RouteCacheData = {
    version: 1,
    prefix: '/slipway',
    clusterId: '123',
    revision: 42,
    writtenAt: 1_000_000,
    keys: ['/slipway/apps/shop/domains/shop.test', '/slipway/apps/shop/backends/web.1'],
    mods: [40, 41],
    values: ['{"app":"shop"}', '{"url":"http://127.0.0.1:5001","release":1,"process":"web"}'],
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-route-cache-'));
    file = path.join(dir, 'router', 'routes.json');
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back what it wrote, creating the folder, readable by its owner only', async () => {
    await writeRouteCache(file, data);
    expect(readRouteCache(file, '/slipway', 60_000, 1_000_500)).to.deep.equal(data);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['routes.json']);
  });

  it('ignores a missing, corrupt, foreign or too old file', async () => {
    expect(readRouteCache(file, '/slipway', 60_000, 1_000_500)).to.equal(null);
    await writeRouteCache(file, data);
    expect(readRouteCache(file, '/other', 60_000, 1_000_500)).to.equal(null);
    expect(readRouteCache(file, '/slipway', 60_000, 1_000_000 + 60_001)).to.equal(null);
    fs.writeFileSync(file, '{"version":1,');
    expect(readRouteCache(file, '/slipway', 60_000, 1_000_500)).to.equal(null);
    fs.writeFileSync(file, JSON.stringify({ ...data, mods: [40] }));
    expect(readRouteCache(file, '/slipway', 60_000, 1_000_500)).to.equal(null);
  });

  it('keeps one file per prefix and etcd endpoints', () => {
    const a = routeCacheFile('/var/lib/slipway', '/slipway', ['http://127.0.0.1:2379']);
    expect(a).to.match(/^\/var\/lib\/slipway\/router\/routes-[0-9a-f]{16}\.json$/);
    expect(routeCacheFile('/var/lib/slipway', '/slipway', ['http://127.0.0.1:2379'])).to.equal(a);
    expect(routeCacheFile('/var/lib/slipway', '/other', ['http://127.0.0.1:2379'])).to.not.equal(a);
    expect(routeCacheFile('/var/lib/slipway', '/slipway', ['http://10.0.0.1:2379'])).to.not.equal(a);
  });
});
