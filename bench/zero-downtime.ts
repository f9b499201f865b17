/**
 * Zero-downtime benchmark: does an app keep answering while Slipway changes it? Run with
 * `npm run bench:zero-downtime`; method and results are in docs/benchmarks.md.
 *
 * A whole in-process Slipway (test/support/slipway.ts), one app (test/fixtures/apps/procfile-multi:
 * web=2 worker=1, readiness check on /health, graceful close on SIGTERM), pushed once before
 * anything is measured. Then autocannon sends GET / through the router (Host: <app>.<domain>,
 * on loopback) without pause while the scenario runs, in order: 5 deploys (a code change pushed
 * with git each), config:set, ps:scale web=4, ps:scale web=1, rollback, ps:restart.
 *
 * Every request is accounted for, per client connection: answered (by status), failed with a
 * connection error or a timeout, or lost without a word (the connection closed under a request:
 * autocannon reconnects silently then, so this benchmark counts it itself). Each outcome is put in
 * the step that was running when it came. The target is 0 failed requests; the exit code is 0
 * whatever the result (a benchmark, not a test), 1 only when the benchmark itself could not run.
 *
 * Everything the benchmark creates is removed at the end, also on failure, Ctrl-C or timeout.
 * Every wait has a deadline.
 *
 * Settings from the environment: BENCH_ZD_RATE (requests per second over all connections; unset
 * or 0: as fast as the router answers), BENCH_ZD_CONNECTIONS (default 8). Slipway's own settings
 * (SLIPWAY_DRAIN_SECONDS, SLIPWAY_DEPLOY_SURGE, ...) are read as usual.
 */
import type { EventEmitter } from 'node:events';
import os from 'node:os';
import autocannon from 'autocannon';
import { uniqueName, WorkingCopy, type TestSlipway } from '../test/support/slipway';
import {
  machineDescription, message, now, runBenchmark, seconds as secs, sleep, startBenchSlipway, table, timedPush, withDeadline,
  type Cleanup,
} from './support';

// --- Settings ------------------------------------------------------------------------------

const FIXTURE = 'procfile-multi';
const DEPLOYS = 5;

const LOAD = {
  connections: wholeNumberFromEnv('BENCH_ZD_CONNECTIONS', 8),
  pipelining: 1,
  /** Overall requests per second; 0 means no limit. */
  rate: wholeNumberFromEnv('BENCH_ZD_RATE', 0),
  /** autocannon's own per-request timeout. */
  requestTimeoutSeconds: 10,
  /** autocannon stops by itself after this, whatever happens to the scenario. */
  boundSeconds: 300,
} as const;

/** Load alone before the first step and after the last one. */
const WARM_UP_MS = 3000;
const COOL_DOWN_MS = 3000;

const DEADLINE = {
  whole: 12 * 60_000,
  start: 60_000,
  firstPush: 5 * 60_000,
  push: 3 * 60_000,
  api: 3 * 60_000,
  serve: 60_000,
  stopLoad: 30_000,
  cleanupStep: 60_000,
} as const;

/** A body from the fixture's web process: "<DYNO> <SLIPWAY_RELEASE>". */
const APP_BODY = /^(web\.\d+) (v\d+)$/;
/** Failures kept in full per step (the rest are only counted). */
const SAMPLES_PER_WINDOW = 8;

// --- Small helpers -------------------------------------------------------------------------

function wholeNumberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} must be a whole number`);
  return value;
}

const countsText = (counts: ReadonlyMap<string, number>): string =>
  [...counts].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([key, n]) => `${key}: ${n}`).join(', ') || '-';

/** `git push url main` with its whole output, killed when it outlives its deadline. */
async function gitPush(dir: string, url: string, privateKey: string, deadlineMs: number): Promise<{ code: number; output: string }> {
  const push = await timedPush(dir, url, privateKey, now(), deadlineMs);
  return { code: push.code, output: push.lines.map((l) => l.text).join('\n') };
}

// --- Accounting ----------------------------------------------------------------------------

interface Sample { atMs: number; what: string }

/** What happened to the requests whose outcome came while one step (or pause) was running. */
class Window {
  sent = 0;
  readonly statuses = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** Requests whose connection closed under them without an answer or an error event. */
  lost = 0;
  /** 2xx answers whose body is not the app's "<DYNO> <release>". */
  unexpectedBodies = 0;
  readonly releases = new Map<string, number>();
  readonly samples: Sample[] = [];
  failures = 0;
  maxLatencyMs = 0;
  private latencySum = 0;
  answered = 0;

  constructor(readonly name: string) {}

  response(status: number, body: string, latencyMs: number, atMs: number): void {
    this.answered += 1;
    this.latencySum += latencyMs;
    this.maxLatencyMs = Math.max(this.maxLatencyMs, latencyMs);
    bump(this.statuses, String(status));
    const match = APP_BODY.exec(body.trim());
    if (status >= 200 && status < 300) {
      if (match) bump(this.releases, match[2]!);
      else {
        this.unexpectedBodies += 1;
        this.fail(atMs, `HTTP ${status} with an unexpected body: ${JSON.stringify(body.slice(0, 120))}`);
      }
    } else {
      this.fail(atMs, `HTTP ${status}: ${JSON.stringify(body.replace(/\s+/g, ' ').slice(0, 160))}`);
    }
  }

  error(what: string, atMs: number): void {
    bump(this.errors, what);
    this.fail(atMs, `error: ${what}`);
  }

  lose(count: number, atMs: number): void {
    this.lost += count;
    this.fail(atMs, `lost: the connection closed under ${count} request(s) without an answer`);
  }

  get meanLatencyMs(): number {
    return this.answered === 0 ? 0 : this.latencySum / this.answered;
  }

  get ok(): number {
    let n = 0;
    for (const [status, count] of this.statuses) if (status.startsWith('2')) n += count;
    return n - this.unexpectedBodies;
  }

  private fail(atMs: number, what: string): void {
    this.failures += 1;
    if (this.samples.length < SAMPLES_PER_WINDOW) this.samples.push({ atMs, what });
  }
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Puts every outcome in the window that is open when it comes. */
class Recorder {
  readonly windows: Window[] = [];
  private current: Window;
  private readonly t0 = now();
  /** In flight per connection; with pipelining 1 a connection has at most one request out. */
  private readonly outstanding = new Map<EventEmitter, number>();
  /** Body of the answer being reported: onResponse runs just before the client's 'response' event. */
  private lastBody = '';

  constructor() {
    this.current = this.open('warm-up (load only)');
  }

  /** Milliseconds since the load started. */
  at(): number {
    return now() - this.t0;
  }

  open(name: string): Window {
    const existing = this.windows.find((w) => w.name === name);
    this.current = existing ?? new Window(name);
    if (!existing) this.windows.push(this.current);
    return this.current;
  }

  body(body: string): void {
    this.lastBody = body;
  }

  watch(client: EventEmitter): void {
    this.outstanding.set(client, 0);
    /** Requests found unanswered when the next one went out, not yet known to be lost. */
    let unexplained = 0;
    client.on('request', () => {
      const before = this.outstanding.get(client) ?? 0;
      this.outstanding.set(client, 1);
      this.current.sent += 1;
      if (before === 0) return;
      // A new request while the last one is still out: either the connection ended under it
      // and autocannon reconnected without a word, or it timed out (autocannon reconnects
      // first and reports the timeout right after, in the same tick).
      unexplained += before;
      queueMicrotask(() => {
        if (unexplained > 0) this.current.lose(unexplained, this.at());
        unexplained = 0;
      });
    });
    client.on('response', (status: number, _bytes: number, latencyMs: number) => {
      this.outstanding.set(client, 0);
      this.current.response(status, this.lastBody, latencyMs, this.at());
      this.lastBody = '';
    });
    client.on('connError', (error: NodeJS.ErrnoException) => {
      this.outstanding.set(client, 0);
      this.current.error(error.code ?? error.message, this.at());
    });
    client.on('timeout', () => {
      if (unexplained > 0) unexplained -= 1; // the request that was out; the new one still is
      else this.outstanding.set(client, 0);
      this.current.error(`timeout (no answer within ${LOAD.requestTimeoutSeconds} s)`, this.at());
    });
  }

  /** Requests still out when the load stopped (cut by autocannon itself, not failures). */
  inFlight(): number {
    let n = 0;
    for (const count of this.outstanding.values()) n += count;
    return n;
  }

  total(): Window {
    const sum = new Window('all');
    for (const w of this.windows) {
      sum.sent += w.sent;
      sum.lost += w.lost;
      sum.unexpectedBodies += w.unexpectedBodies;
      sum.failures += w.failures;
      sum.answered += w.answered;
      sum.maxLatencyMs = Math.max(sum.maxLatencyMs, w.maxLatencyMs);
      for (const [k, n] of w.statuses) bump(sum.statuses, k, n);
      for (const [k, n] of w.errors) bump(sum.errors, k, n);
      for (const [k, n] of w.releases) bump(sum.releases, k, n);
    }
    return sum;
  }
}

// --- Load ----------------------------------------------------------------------------------

interface Load {
  stop(): Promise<autocannon.Result>;
  /** Settles when autocannon finished by itself (its bound) or was stopped. */
  readonly finished: Promise<autocannon.Result>;
}

function startLoad(routerPort: number, host: string, recorder: Recorder): Load {
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: `http://127.0.0.1:${routerPort}/`,
      connections: LOAD.connections,
      pipelining: LOAD.pipelining,
      duration: LOAD.boundSeconds,
      timeout: LOAD.requestTimeoutSeconds,
      ...(LOAD.rate > 0 ? { overallRate: LOAD.rate } : {}),
      requests: [{
        method: 'GET',
        path: '/',
        headers: { host },
        onResponse: (_status: number, body: string) => recorder.body(body),
      }],
      setupClient: (client) => recorder.watch(client as unknown as EventEmitter),
    }, (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)));
  });
  return {
    finished,
    stop: () => {
      instance?.stop();
      return withDeadline(finished, DEADLINE.stopLoad, 'stopping the load');
    },
  };
}

// --- Slipway -------------------------------------------------------------------------------

async function api<T>(slipway: TestSlipway, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  return withDeadline(slipway.api<T>(method, route, body), DEADLINE.api, `${method} ${route}`);
}

async function expectStatus<T>(slipway: TestSlipway, method: string, route: string, body: unknown, expected: number): Promise<T> {
  const answer = await api<T>(slipway, method, route, body);
  if (answer.status !== expected) {
    throw new Error(`${method} ${route} answered HTTP ${answer.status} (expected ${expected}): ${JSON.stringify(answer.body).slice(0, 600)}`);
  }
  return answer.body;
}

interface ReleaseJson { version: number; description: string; status: string; current: boolean }
interface PsJson { formation: { type: string; quantity: number }[]; instances: { id: string; type: string; state: string; release: number }[] }

async function currentRelease(slipway: TestSlipway, app: string): Promise<string> {
  const releases = await expectStatus<ReleaseJson[]>(slipway, 'GET', `/apps/${app}/releases`, undefined, 200);
  const current = releases.find((r) => r.current);
  return current ? `v${current.version}` : 'none';
}

async function webInstances(slipway: TestSlipway, app: string): Promise<string> {
  const ps = await expectStatus<PsJson>(slipway, 'GET', `/apps/${app}/ps`, undefined, 200);
  const web = ps.instances.filter((i) => i.type === 'web');
  const running = web.filter((i) => i.state === 'running').length;
  return running === web.length ? String(web.length) : `${running}/${web.length} running`;
}

async function waitUntilServing(slipway: TestSlipway, app: string): Promise<string> {
  const deadline = now() + DEADLINE.serve;
  let last = 'no answer yet';
  for (;;) {
    try {
      const answer = await withDeadline(slipway.fetchApp(app), 5000, 'one request');
      if (answer.status === 200 && APP_BODY.test(answer.body.trim())) return answer.body.trim();
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
    } catch (error) {
      last = message(error);
    }
    if (now() >= deadline) throw new Error(`${app} did not serve within ${DEADLINE.serve / 1000} s (last: ${last})`);
    await sleep(200);
  }
}

// --- Scenario ------------------------------------------------------------------------------

interface StepResult {
  name: string;
  startMs: number;
  durationMs: number;
  ok: boolean;
  detail: string;
  releaseAfter: string;
  webAfter: string;
}

interface Step {
  name: string;
  /** Not timed: e.g. writing and committing the change a deploy pushes. */
  prepare?: () => Promise<void>;
  /** Timed; returns a short description of what Slipway answered. */
  run: () => Promise<string>;
}

async function runSteps(slipway: TestSlipway, app: string, recorder: Recorder, steps: readonly Step[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [index, step] of steps.entries()) {
    recorder.open('between steps');
    await step.prepare?.();
    const label = `${index + 1}. ${step.name}`;
    const window = recorder.open(label);
    const startMs = recorder.at();
    let ok = true;
    let detail: string;
    try {
      detail = await step.run();
    } catch (error) {
      ok = false;
      detail = message(error);
    }
    const durationMs = recorder.at() - startMs;
    recorder.open('between steps');
    const [releaseAfter, webAfter] = await Promise.all([
      currentRelease(slipway, app).catch((error: unknown) => `? (${message(error)})`),
      webInstances(slipway, app).catch((error: unknown) => `? (${message(error)})`),
    ]);
    results.push({ name: label, startMs, durationMs, ok, detail, releaseAfter, webAfter });
    const requestsSoFar = `${window.ok} ok, ${window.failures} failed`;
    console.log(`  +${secs(startMs).padStart(7)}  ${label.padEnd(22)} ${secs(durationMs).padStart(7)}  ${ok ? 'ok  ' : 'FAIL'}  ${detail.split('\n', 1)[0]}  -> ${releaseAfter}, web=${webAfter}  [requests: ${requestsSoFar}]`);
    if (!ok) console.log(detail.split('\n').map((l) => `        ${l}`).join('\n'));
  }
  return results;
}

// --- Main ----------------------------------------------------------------------------------

async function main(cleanup: Cleanup): Promise<number> {
  const startedAt = new Date();
  console.log(`Slipway zero-downtime benchmark, ${startedAt.toISOString()}`);
  console.log(`Machine: ${machineDescription()}, load average ${os.loadavg()[0]!.toFixed(2)}`);

  // --- Set up (not measured) ---
  const { slipway, privateKey, createApp } = await startBenchSlipway(cleanup, DEADLINE.start);
  const { config } = slipway;
  console.log(`Slipway in process: router on 127.0.0.1:${config.routerPort}; drain ${secs(config.drainMs)}, stop grace ${config.stopGraceSeconds} s, surge ${config.deploySurge}, max unavailable ${config.deployMaxUnavailable}`);
  const app = uniqueName('zd');
  await createApp(app);
  const copy = await WorkingCopy.fromFixture(FIXTURE, privateKey);
  cleanup.add('remove the working copy', async () => copy.remove());

  console.log(`\nSetup (not measured): git push of ${FIXTURE} to the new app ${app}...`);
  const t0 = now();
  const first = await gitPush(copy.dir, slipway.gitUrl(app), privateKey, DEADLINE.firstPush);
  if (first.code !== 0) throw new Error(`the first git push failed (exit ${first.code}):\n${first.output}`);
  const firstBody = await waitUntilServing(slipway, app);
  console.log(`  serving "${firstBody}" after ${secs(now() - t0)}; release ${await currentRelease(slipway, app)}, web=${await webInstances(slipway, app)}`);

  // --- Scenario under load ---
  const host = `${app}.${config.domain}`;
  const steps: Step[] = [];
  for (let n = 1; n <= DEPLOYS; n += 1) {
    steps.push({
      name: `deploy ${n} (git push)`,
      prepare: async () => {
        copy.write(`deploy-${n}.txt`, `Deploy ${n} of the zero-downtime benchmark.\n`);
        await copy.commitAll(`Deploy ${n}`);
      },
      run: async () => {
        const push = await gitPush(copy.dir, slipway.gitUrl(app), privateKey, DEADLINE.push);
        if (push.code !== 0) throw new Error(`git push exited with ${push.code}:\n${push.output.trimEnd()}`);
        return /Released v\d+/.exec(push.output)?.[0] ?? 'pushed (no "Released vN" line)';
      },
    });
  }
  steps.push(
    {
      name: 'config:set',
      run: async () => {
        await expectStatus(slipway, 'PATCH', `/apps/${app}/config`, { BENCH_ZERO_DOWNTIME: 'yes' }, 200);
        return 'PATCH config: 200';
      },
    },
    {
      name: 'ps:scale web=4',
      run: async () => {
        await expectStatus(slipway, 'PATCH', `/apps/${app}/formation`, { web: 4 }, 200);
        return 'PATCH formation: 200';
      },
    },
    {
      name: 'ps:scale web=1',
      run: async () => {
        await expectStatus(slipway, 'PATCH', `/apps/${app}/formation`, { web: 1 }, 200);
        return 'PATCH formation: 200';
      },
    },
    {
      name: 'rollback',
      run: async () => {
        const release = await expectStatus<ReleaseJson>(slipway, 'POST', `/apps/${app}/releases`, {}, 201);
        return `v${release.version}: ${release.description}`;
      },
    },
    {
      name: 'ps:restart',
      run: async () => {
        await expectStatus(slipway, 'POST', `/apps/${app}/ps/restart`, {}, 204);
        return 'POST ps/restart: 204';
      },
    },
  );

  const rate = LOAD.rate > 0 ? `${LOAD.rate} req/s overall` : 'no rate limit';
  console.log(`\nLoad: GET http://127.0.0.1:${config.routerPort}/ with Host: ${host}; ${LOAD.connections} connections, pipelining ${LOAD.pipelining}, ${rate}, timeout ${LOAD.requestTimeoutSeconds} s, bounded to ${LOAD.boundSeconds} s`);
  const recorder = new Recorder();
  const load = startLoad(config.routerPort, host, recorder);
  cleanup.add('stop the load', () => load.stop());
  let loadEndedEarly = false;
  void load.finished.then(() => { loadEndedEarly = true; }, () => undefined);

  await sleep(WARM_UP_MS);
  console.log(`Scenario (times from the start of the load):`);
  const results = await runSteps(slipway, app, recorder, steps);
  const scenarioEndMs = recorder.at();
  const loadCoveredScenario = !loadEndedEarly;
  recorder.open('cool-down (load only)');
  await sleep(COOL_DOWN_MS);
  const result = await load.stop();

  printReport({ recorder, results, result, inFlight: recorder.inFlight(), loadCoveredScenario, scenarioEndMs });
  return 0;
}

// --- Report --------------------------------------------------------------------------------

interface RunOutcome {
  recorder: Recorder;
  results: readonly StepResult[];
  result: autocannon.Result;
  inFlight: number;
  loadCoveredScenario: boolean;
  scenarioEndMs: number;
}

/** Prints the figures and returns the number of failed requests. */
function printReport({ recorder, results, result, inFlight, loadCoveredScenario, scenarioEndMs }: RunOutcome): number {
  const all = recorder.total();
  const non2xx = [...all.statuses].filter(([status]) => !status.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  const errors = [...all.errors.values()].reduce((n, c) => n + c, 0);
  const failed = non2xx + errors + all.lost + all.unexpectedBodies;
  const lat = result.latency;

  console.log('\n=== Requests (all of the run) ===');
  console.log(table([
    ['sent', String(all.sent), `autocannon: ${result.requests.sent}`],
    ['answered 2xx (app body)', String(all.ok), `autocannon: ${result['2xx']} 2xx`],
    ['answered non-2xx', String(non2xx), `autocannon non2xx: ${result.non2xx}; by status: ${countsText(all.statuses)}`],
    ['errors (connection, timeout)', String(errors), `autocannon: ${result.errors} errors, ${result.timeouts} timeouts; ${countsText(all.errors)}`],
    ['lost (connection closed under it)', String(all.lost), 'counted here; autocannon reconnects silently'],
    ['2xx with an unexpected body', String(all.unexpectedBodies), ''],
    ['in flight when the load stopped', String(inFlight), 'cut by autocannon at the end, not failures'],
  ], ['', 'count', 'notes'], [2]));
  console.log(`Load ran ${result.duration.toFixed(1)} s, ${(all.sent / result.duration).toFixed(0)} req/s on average; latency (ms, answers counted by autocannon): p50 ${lat.p50}, p90 ${lat.p90}, p99 ${lat.p99}, p99.9 ${lat.p99_9}, max ${lat.max}`);
  console.log(`Releases that answered: ${countsText(all.releases)}`);

  console.log('\n=== Per step (requests counted by when their outcome came) ===');
  const stepRows = recorder.windows.map((w) => {
    const r = results.find((s) => s.name === w.name);
    return [
      w.name,
      r ? `+${secs(r.startMs)}` : '',
      r ? secs(r.durationMs) : '',
      r ? (r.ok ? 'ok' : 'FAILED') : '',
      r ? `${r.releaseAfter} web=${r.webAfter}` : '',
      String(w.sent),
      String(w.ok),
      String(w.failures),
      w.maxLatencyMs.toFixed(0),
      countsText(w.releases),
    ];
  });
  console.log(table(stepRows, ['step', 'start', 'duration', 'API/push', 'after', 'sent', 'ok', 'failed', 'max ms', 'releases answering'], [9]));
  const stepsTotalMs = results.reduce((n, r) => n + r.durationMs, 0);
  console.log(`Steps took ${secs(stepsTotalMs)} in all (scenario from +${secs(results[0]?.startMs ?? 0)} to +${secs(scenarioEndMs)}).`);

  const withFailures = recorder.windows.filter((w) => w.failures > 0);
  if (withFailures.length > 0) {
    console.log('\n!!! =============== FAILED REQUESTS =============== !!!');
    for (const w of withFailures) {
      console.log(`${w.name}: ${w.failures} failed (${[
        ...[...w.statuses].filter(([s]) => !s.startsWith('2')).map(([s, n]) => `HTTP ${s} x${n}`),
        ...[...w.errors].map(([e, n]) => `${e} x${n}`),
        ...(w.lost > 0 ? [`lost x${w.lost}`] : []),
        ...(w.unexpectedBodies > 0 ? [`unexpected body x${w.unexpectedBodies}`] : []),
      ].join(', ')})`);
      for (const sample of w.samples) console.log(`    +${secs(sample.atMs, 3)}  ${sample.what}`);
      if (w.failures > w.samples.length) console.log(`    ... and ${w.failures - w.samples.length} more`);
    }
    console.log('!!! ================================================= !!!');
  }

  const failedSteps = results.filter((r) => !r.ok);
  console.log('\n=== Summary ===');
  console.log(`requests: ${all.sent} sent, ${all.ok} ok, failed: ${failed} (non-2xx ${non2xx}, errors ${errors}, lost ${all.lost}, unexpected bodies ${all.unexpectedBodies})`);
  console.log(`steps: ${results.length - failedSteps.length}/${results.length} succeeded${failedSteps.length > 0 ? ` (FAILED: ${failedSteps.map((s) => s.name).join(', ')})` : ''}; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs at the end`);
  if (!loadCoveredScenario) console.log(`WARNING: autocannon reached its ${LOAD.boundSeconds} s bound before the scenario ended: the last steps ran without load.`);
  const pass = failed === 0 && failedSteps.length === 0 && loadCoveredScenario;
  console.log(`Target: 0 failed requests across the whole scenario: ${pass ? 'PASS' : 'FAIL'} (failed: ${failed})`);
  return failed;
}

runBenchmark(main, {
  deadlineMs: DEADLINE.whole,
  cleanupStepMs: DEADLINE.cleanupStep,
  cleanedUp: 'Cleaned up (load stopped, app destroyed, Slipway closed, the app\'s leftovers and images and the temp dirs removed).',
});
