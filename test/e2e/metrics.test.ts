/**
 * `slipway metrics` against a load run, end to end with real parts: an app deployed by git push,
 * its router scraped by Debian's Prometheus (every second, its own config), a bounded load from
 * autocannon in its own process on loopback, then `slipway metrics -a APP --since 20s --until …`
 * and `GET /apps/:app/metrics` over exactly the load's window. Their request rate and latency
 * (mean and median) must be within 10 % of what autocannon measured. Then an app that holds more
 * memory at each call shows its memory rising, and a viewer (no `operate`) is refused.
 *
 * Honest and deterministic: the window is the load's own (its start, its length), the figures are
 * Prometheus's over exactly that window (rate over it, not a mean of per-step points), the app's
 * latency is fixed (1 s), long beside the tens of ms that a busy machine adds between the client's clock and the router's, and the
 * router's buckets are fine enough (router/metrics.ts) for a median read from them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startPrometheus, type TestPrometheus } from '../support/prometheus';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type CommandResult, type TestSlipway } from '../support/slipway';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');
const AUTOCANNON = path.join(REPO_ROOT, 'node_modules', '.bin', 'autocannon');
const LOAD_SECONDS = 20;
const CONNECTIONS = 20;

interface Series { metric: string; unit: string; labels: Record<string, string>; points: Array<[number, number]>; overall: number | null }
interface AppMetrics { app: string; start: number; end: number; step: number; until: number; series: Series[] }
/** What autocannon --json prints: the parts read here (latency in ms). */
interface LoadResult {
  start: string;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
  latency: { mean: number; p50: number };
}

describe('metrics match a load run (end to end)', function () {
  this.timeout(600_000);

  let slipway: TestSlipway;
  let prometheus: TestPrometheus;
  let keysDir: string;
  let home: string;
  let viewerToken: string;
  const app = uniqueName('metrics');
  const team = `mt-${uniqueName('t').slice(-6)}`;
  const viewer = `viewer${uniqueName('v').slice(-6)}`;
  const host = (): string => `${app}.${slipway.config.domain}`;

  const cli = (token: string, ...args: string[]): Promise<CommandResult> => run('node', [BIN, ...args], {
    cwd: home, env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: token, NO_COLOR: '1', HOME: home },
  });

  before(async () => {
    prometheus = await startPrometheus();
    slipway = await startTestSlipway({ SLIPWAY_PROMETHEUS_URL: prometheus.url }, { routerAdmin: true });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-metrics-home-'));
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    expect((await slipway.api('POST', '/teams', { name: team })).status).to.equal(201);
    expect((await slipway.api('POST', '/apps', { name: app, team })).status).to.equal(201);
    const password = `pw-${viewer}-long-enough`;
    expect((await slipway.api('POST', '/users', { name: viewer, email: `${viewer}@example.com`, password })).status).to.equal(201);
    expect((await slipway.api('POST', `/teams/${team}/members`, { user: viewer, role: 'viewer' })).status).to.equal(201);
    const login = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: viewer, password }),
    });
    expect(login.status).to.equal(201);
    viewerToken = ((await login.json()) as { token: string }).token;

    const copy = await WorkingCopy.fromFixture('dockerfile-metrics', key.privateKey);
    try {
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
    } finally {
      copy.remove();
    }
    expect((await slipway.fetchApp(app, '/work')).body).to.equal('worked\n');

    const api = `127.0.0.1:${slipway.platform.apiPort}`;
    await prometheus.scrape([
      { job: 'slipway-router', address: `127.0.0.1:${slipway.router.adminPort as number}` },
      { job: 'slipway-containers', address: api, path: '/metrics/containers', tokenFile: slipway.config.metricsTokenFile },
    ]);
  });

  after(async () => {
    await prometheus?.close();
    if (slipway) {
      await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
      await slipway.close();
    }
    for (const dir of [home, keysDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The newest scrape of the app's request counter: its value and time (unix seconds). */
  async function lastScrape(): Promise<{ value: number; time: number } | undefined> {
    const [count] = await prometheus.query(`sum(slipway_router_requests_total{app="${app}"})`);
    const [time] = await prometheus.query(`max(timestamp(slipway_router_requests_total{app="${app}"}))`);
    return count && time ? { value: count.value, time: time.value } : undefined;
  }

  /** Loopback load from autocannon in its own process, so that its clock is not the router's event loop. */
  async function load(): Promise<LoadResult> {
    const result = await run(AUTOCANNON, [
      '--json', '-c', String(CONNECTIONS), '-d', String(LOAD_SECONDS), '-H', `host=${host()}`,
      `http://127.0.0.1:${slipway.config.routerPort}/work`,
    ]);
    expect(result.code, result.output).to.equal(0);
    return JSON.parse(result.stdout) as LoadResult;
  }

  const within10 = (reported: number, measured: number, what: string): void => {
    expect(Math.abs(reported - measured) / measured, `${what}: reported ${reported}, measured ${measured}`).to.be.at.most(0.1);
  };

  it('shows the request rate and latency of a load run within 10 % of what the load generator measured', async () => {
    // The counters exist and were scraped before the load: the window's first sample is a real 0 point.
    for (let i = 0; i < 5; i += 1) expect((await slipway.fetchApp(app, '/work')).status).to.equal(200);
    await prometheus.until('the first requests scraped', async () => ((await lastScrape())?.value ?? 0) >= 5 ? true : undefined);

    const measured = await load();
    expect(measured.errors + measured.timeouts + measured.non2xx, 'failed requests').to.equal(0);
    const start = Date.parse(measured.start);
    const measuredRate = measured.requests.total / measured.duration;
    const until = start + LOAD_SECONDS * 1000;
    // Every request of the window is in Prometheus once a scrape after its end has been stored.
    await prometheus.until('a scrape after the load', async () => ((await lastScrape())?.time ?? 0) > until / 1000 + 1 ? true : undefined);

    const untilText = new Date(until).toISOString();
    const answer = await slipway.api<AppMetrics>('GET', `/apps/${app}/metrics?since=${LOAD_SECONDS}s&until=${encodeURIComponent(untilText)}`);
    expect(answer.status).to.equal(200);
    const overall = (metric: string, labels: Record<string, string> = {}): number => {
      const found = answer.body.series.find((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(found?.overall, `${metric} ${JSON.stringify(labels)}`).to.be.a('number');
      return found!.overall!;
    };
    const report = {
      measured: { rate: measuredRate, meanMs: measured.latency.mean, p50Ms: measured.latency.p50, requests: measured.requests.total, seconds: measured.duration },
      reported: { rate: overall('requests'), meanMs: overall('latency', { quantile: 'mean' }) * 1000, p50Ms: overall('latency', { quantile: 'p50' }) * 1000, p95Ms: overall('latency', { quantile: 'p95' }) * 1000 },
    };
    console.log(`      load vs metrics: ${JSON.stringify(report)}`);
    within10(report.reported.rate, report.measured.rate, 'requests/s (API)');
    within10(overall('status', { status_class: '2xx' }), report.measured.rate, '2xx/s (API)');
    within10(report.reported.meanMs, report.measured.meanMs, 'mean latency (API)');
    within10(report.reported.p50Ms, report.measured.p50Ms, 'p50 latency (API)');

    // The CLI prints the same window's figures in its table ("Window" column).
    const printed = await cli(slipway.token, 'metrics', '-a', app, '--since', `${LOAD_SECONDS}s`, '--until', untilText);
    expect(printed.code, printed.output).to.equal(0);
    console.log(printed.stdout.split('\n').map((line) => `      ${line}`).join('\n'));
    const row = (title: string): string[] => {
      const line = printed.stdout.split('\n').find((l) => l.split('│')[1]?.trim() === title);
      expect(line, `${title} row in\n${printed.stdout}`).to.be.a('string');
      return line!.split('│').map((cell) => cell.trim()).filter(Boolean);
    };
    // "85 ms" or "1.02 s", as the CLI writes a latency.
    const ms = (text: string): number => Number.parseFloat(text) * (text.endsWith(' ms') ? 1 : 1000);
    within10(Number.parseFloat(row('Requests')[2]!), measuredRate, 'requests/s (CLI)');
    within10(ms(row('Latency mean')[2]!), measured.latency.mean, 'mean latency in ms (CLI)');
    within10(ms(row('Latency p50')[2]!), measured.latency.p50, 'p50 latency in ms (CLI)');
  });

  it('shows the memory of an app that holds more at each call rising', async () => {
    const rss = async (): Promise<number | undefined> => {
      const [found] = await prometheus.query(`sum(slipway_container_memory_rss_bytes{app="${app}",process_type="web"})`);
      return found?.value;
    };
    const before = await prometheus.until('the web instance\'s memory scraped', rss);
    const step = 48 * 1024 * 1024;
    for (let i = 1; i <= 3; i += 1) {
      expect((await slipway.fetchApp(app, '/grow?mb=48')).body).to.equal(`holding ${48 * i} MB\n`);
      // A little less than all of it: the runtime may give some of its own memory back meanwhile.
      await prometheus.until(`memory up by ${48 * i} MB`, async () => ((await rss()) ?? 0) >= before + i * step * 0.9 ? true : undefined);
    }
    const answer = await slipway.api<AppMetrics>('GET', `/apps/${app}/metrics?since=5m`);
    expect(answer.status).to.equal(200);
    const memory = answer.body.series.find((s) => s.metric === 'memory_rss' && s.labels.process_type === 'web');
    const values = (memory?.points ?? []).map(([, v]) => v);
    expect(values.length).to.be.greaterThan(1);
    const first = values[0]!;
    const last = values[values.length - 1]!;
    console.log(`      memory_rss web: first ${Math.round(first / 1048576)} MB, last ${Math.round(last / 1048576)} MB (3 × 48 MB held)`);
    expect(last - first).to.be.at.least(3 * step * 0.9);
    const limit = answer.body.series.find((s) => s.metric === 'memory_limit' && s.labels.process_type === 'web');
    expect(limit?.points.at(-1)?.[1]).to.be.greaterThan(last);
  });

  it('refuses an app\'s metrics to a viewer of its team, by the API and the CLI (403: needs operate)', async () => {
    const refused = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/apps/${app}/metrics?since=5m`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(refused.status).to.equal(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('forbidden');
    const printed = await cli(viewerToken, 'metrics', '-a', app);
    expect(printed.code).to.not.equal(0);
    expect(printed.stderr).to.match(/operate|permission|forbidden|not allowed/i);
    expect(printed.stdout).to.not.include('Requests');
  });
});
