/**
 * Scale: 10,000 apps and 50,000 backends in a private etcd, and a router process started cold.
 * It reports (does not assert) how long until the first routed response and how much memory a
 * route takes; the assertions are about correctness at that size. Figures are in docs/router.md.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { backendKey, domainKey } from '../../../lib/etcd-keys';
import { RouteTable } from '../../../router/route-table';
import { adminGet, answeredBy, freePort, PrivateEtcd, request, startBackend, startRouterProcess, waitUntil, type RouterProcess, type TestBackend } from './helpers';

const APPS = 10_000;
const BACKENDS_PER_APP = 5;
const PREFIX = '/slipway';
/** etcd's default --max-txn-ops. */
const TXN_OPS = 128;

function hostOf(i: number): string {
  return `app-${i}.scale.test`;
}

/** Polls with fresh connections until a routed 200 arrives; resolves with when it did. */
async function firstRoutedResponse(port: number, host: string): Promise<number> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, headers: { host }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('router at scale: 10,000 apps and 50,000 backends', function () {
  this.timeout(300_000);

  let etcd: PrivateEtcd;
  let backends: TestBackend[] = [];
  const entries: Array<{ key: string; value: string }> = [];

  before(async () => {
    etcd = await PrivateEtcd.start();
    backends = await Promise.all(Array.from({ length: BACKENDS_PER_APP }, (_, i) => startBackend(`b${i}`)));
    for (let i = 0; i < APPS; i += 1) {
      const app = `app-${i}`;
      entries.push({ key: domainKey(PREFIX, app, hostOf(i)), value: JSON.stringify({ app }) });
      for (let j = 0; j < BACKENDS_PER_APP; j += 1) {
        const url = (backends[(i + j) % BACKENDS_PER_APP] as TestBackend).url;
        entries.push({ key: backendKey(PREFIX, app, `web.${j + 1}`), value: JSON.stringify({ url, release: 1, process: 'web' }) });
      }
    }
    const client = new Etcd3({ hosts: etcd.url });
    try {
      const batches: Array<typeof entries> = [];
      for (let i = 0; i < entries.length; i += TXN_OPS) batches.push(entries.slice(i, i + TXN_OPS));
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < batches.length) {
            const batch = batches[next++] as typeof entries;
            await client.kv.txn({ success: batch.map(({ key, value }) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } })) });
          }
        }),
      );
    } finally {
      client.close();
    }
  });

  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await etcd?.dispose();
  });

  /**
   * Starts the router (default workers: one per core) and measures from spawning it to the first
   * routed 200, polling its port from the start (workers that are ready serve before the others).
   */
  async function coldStart(nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<{ router: RouterProcess; firstResponseMs: number }> {
    const port = await freePort();
    const startedAt = performance.now();
    const starting = startRouterProcess({ SLIPWAY_ETCD_URL: etcd.url, SLIPWAY_ETCD_PREFIX: PREFIX, ...env, SLIPWAY_ROUTER_PORT: String(port) }, nodeArgs);
    const firstAt = await firstRoutedResponse(port, hostOf(APPS - 1));
    const router = await starting;
    return { router, firstResponseMs: firstAt - startedAt };
  }

  it('serves the whole table soon after a cold start, each worker holding all of it', async () => {
    const { router, firstResponseMs } = await coldStart();
    try {
      const loaded = router.lines.filter((line) => line.msg === 'loaded routes snapshot from etcd');
      expect(loaded.length).to.be.at.least(1);
      for (const line of loaded) expect(line).to.include({ keys: APPS * (1 + BACKENDS_PER_APP) });
      const health = JSON.parse((await adminGet(router.adminPort, '/health')).body) as { ok: boolean; workers: Record<string, { appCount: number; backendCount: number; hostCount: number }> };
      expect(health.ok).to.equal(true);
      for (const report of Object.values(health.workers)) {
        expect(report).to.include({ appCount: APPS, hostCount: APPS, backendCount: APPS * BACKENDS_PER_APP });
      }
      for (let n = 0; n < 20; n += 1) {
        const i = Math.floor(Math.random() * APPS);
        const response = await request(router.port, hostOf(i));
        expect(response.status).to.equal(200);
        expect(answeredBy(response)).to.match(/^b\d$/);
      }
      // eslint-disable-next-line no-console
      console.log(
        `      ${Object.keys(health.workers).length} workers; first routed response ${firstResponseMs.toFixed(0)} ms after spawning the router; ` +
          `snapshot read + table build per worker: ${loaded.map((line) => `${String(line.durationMs)} ms`).join(', ')}`,
      );
    } finally {
      await router.kill();
    }
  });

  it('serves the whole table at once when restarted, from its local route cache', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-router-scale-'));
    const env = { SLIPWAY_STATE_DIR: stateDir, SLIPWAY_ROUTER_CACHE_MAX_AGE: '300' };
    try {
      const { router: first } = await coldStart([], env);
      first.child.kill('SIGTERM');
      expect(await first.exited).to.deep.equal({ code: 0, signal: null });
      const { router, firstResponseMs } = await coldStart([], env);
      try {
        expect(router.lines.filter((line) => line.msg === 'serving routes from the local cache until etcd answers')).to.have.length.at.least(1);
        // It then catches up with etcd: nothing changed, so the difference is empty.
        const health = async (): Promise<Record<string, { routesFrom: string; backendCount: number }>> =>
          (JSON.parse((await adminGet(router.adminPort, '/health')).body) as { workers: Record<string, { routesFrom: string; backendCount: number }> }).workers;
        await waitUntil('every worker follows etcd', async () => Object.values(await health()).every((report) => report.routesFrom === 'etcd'), 30_000);
        for (const report of Object.values(await health())) expect(report.backendCount).to.equal(APPS * BACKENDS_PER_APP);
        const caughtUp = router.lines.filter((line) => line.msg === 'resynced routes with etcd' && line.fromCache === true);
        for (const line of caughtUp) expect(line).to.include({ puts: 0, deletes: 0 });
        // eslint-disable-next-line no-console
        console.log(`      restarted with its route cache: first routed response ${firstResponseMs.toFixed(0)} ms after spawning the router`);
      } finally {
        await router.kill();
      }
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('reports the memory a route takes (exact with --expose-gc), with and without the route cache', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-router-scale-'));
    try {
      for (const cacheMaxAge of ['0', '300']) {
        const { router } = await coldStart(['--expose-gc'], { SLIPWAY_STATE_DIR: stateDir, SLIPWAY_ROUTER_CACHE_MAX_AGE: cacheMaxAge });
        try {
          const health = JSON.parse((await adminGet(router.adminPort, '/health')).body) as { workers: Record<string, { memoryPerRouteBytes: number }> };
          const perRoute = Object.values(health.workers).map((report) => report.memoryPerRouteBytes);
          for (const bytes of perRoute) expect(bytes).to.be.a('number').and.greaterThan(0);
          const rss = (await adminGet(router.adminPort, '/metrics')).body
            .split('\n')
            .filter((line) => line.startsWith('slipway_router_process_resident_memory_bytes'))
            .map((line) => `${(Number(line.split(' ')[1]) / 1024 / 1024).toFixed(0)} MB`);
          // eslint-disable-next-line no-console
          console.log(`      route cache ${cacheMaxAge === '0' ? 'off' : 'on '}: memory per route (etcd key): ${perRoute.join(', ')} bytes; resident memory per worker: ${rss.join(', ')}`);
        } finally {
          await router.kill();
        }
      }
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('looks a host up with one map read: reports the cost with 10 apps and with 10,000', () => {
    const measure = (appCount: number): number => {
      const table = new RouteTable(PREFIX);
      table.reset(entries.filter((_, index) => Math.floor(index / (1 + BACKENDS_PER_APP)) < appCount));
      const hosts = Array.from({ length: 1000 }, (_, i) => hostOf(i % appCount));
      const rounds = 200;
      const started = process.hrtime.bigint();
      for (let round = 0; round < rounds; round += 1) {
        for (const host of hosts) {
          const app = table.appForHost(host);
          if (app === undefined || table.nextBackend(app) === undefined) throw new Error(`no route for ${host}`);
        }
      }
      return Number(process.hrtime.bigint() - started) / (rounds * hosts.length);
    };
    measure(10); // warm up the JIT
    const small = measure(10);
    const large = measure(APPS);
    // eslint-disable-next-line no-console
    console.log(`      host lookup + backend pick: ${small.toFixed(0)} ns with 10 apps, ${large.toFixed(0)} ns with ${APPS} apps`);
    expect(large).to.be.a('number').and.greaterThan(0);
  });
});
