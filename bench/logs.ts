/**
 * Logs benchmark (issue 13), figures beside their goals in one run: `npm run bench:logs`.
 *
 * - Latency: an app writes a line carrying Date.now(); `slipway logs -t` (the real CLI, a child
 *   process) prints it; the difference on the same clock. 300 lines, 10 ms apart.
 * - Throughput: the app logs at a rate for BURST_SECONDS (in 10 ms ticks); sustained when every
 *   line reaches `logs -t` and the last one arrives within MAX_LAG_MS of being written. The rate
 *   doubles until it is not; the per-app limit (SLIPWAY_LOG_RATE_LIMIT) is raised so it does not
 *   hide the collector's own limit.
 * - CPU of collection per 1,000 lines/s: Slipway's process CPU time (/proc/self/stat: Slipway runs
 *   in this process; the CLI and the app do not) over a burst, per 1,000 lines a second.
 * - Memory per app of kept history: 20 apps with 10,000 lines each written to the stream; the
 *   process's heap (after a GC when node runs with --expose-gc) and disk, per app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nowMicros } from '../engine/logs/log-line';
import { REPO_ROOT, uniqueName, WorkingCopy } from '../test/support/slipway';
import { machineActivity, machineDescription, runBenchmark, sleep, slipwayRevision, startBenchSlipway, table, withDeadline, type Cleanup } from './support';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');
const STAMPS = 300;
const BURST_SECONDS = 5;
const RATES = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000];
const MAX_LAG_MS = 1_000;
const HISTORY_APPS = 20;
const HISTORY_LINES = 10_000;
const GOAL = { p99Ms: 500, linesPerSecond: 20_000 };
const DEADLINE = { whole: 20 * 60_000, push: 5 * 60_000, burstDrain: 30_000, cleanupStep: 60_000 };

/** CPU seconds this process has used (user + system). */
function cpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  const ticks = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(full) : fs.statSync(full).size;
  }
  return total;
}

/** `slipway logs -t`, each line handed over with the time it was read. */
function tail(app: string, apiPort: number, token: string, onLine: (text: string, atMs: number) => void): ChildProcess {
  const child = spawn('node', [BIN, 'logs', '-a', app, '-t', '-n', '1', '--source', 'app'], {
    env: { ...process.env, SLIPWAY_API_URL: `http://127.0.0.1:${apiPort}`, SLIPWAY_TOKEN: token, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const atMs = Date.now();
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) onLine(line.replace(/^\S+ app\[[^\]]+\]: /, ''), atMs);
  });
  return child;
}

async function main(cleanup: Cleanup): Promise<number> {
  // The collector's own limit is measured, not the per-app limit's (20,000 lines/s by default).
  process.env.SLIPWAY_LOG_RATE_LIMIT = '10000000';
  const revision = await slipwayRevision(10_000);
  const bench = await startBenchSlipway(cleanup, 120_000);
  const { slipway } = bench;
  const activity = await machineActivity(bench.docker);
  const app = uniqueName('logbench');
  await bench.createApp(app);
  const copy = await WorkingCopy.fromFixture('log-bench', bench.privateKey);
  cleanup.add('remove working copy', async () => copy.remove());
  const pushed = await withDeadline(copy.push(slipway.gitUrl(app)), DEADLINE.push, 'git push');
  if (pushed.code !== 0) throw new Error(`git push failed:\n${pushed.output}`);
  for (let i = 0; ; i += 1) {
    if ((await slipway.fetchApp(app, '/').catch(() => ({ status: 0 }))).status === 200) break;
    if (i > 240) throw new Error('the app did not serve');
    await sleep(250);
  }

  const waiters: Array<{ test: (text: string) => boolean; resolve: (at: number) => void }> = [];
  const latencies: number[] = [];
  const burstLines = new Map<string, number>();
  const child = tail(app, slipway.platform.apiPort, slipway.token, (text, atMs) => {
    const stamp = /^stamp \d+ (\d+)$/.exec(text);
    if (stamp) latencies.push(atMs - Number(stamp[1]));
    const burst = /^burst (\S+) \d+ /.exec(text);
    if (burst) burstLines.set(burst[1]!, (burstLines.get(burst[1]!) ?? 0) + 1);
    for (const waiter of [...waiters]) if (waiter.test(text)) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve(atMs); }
  });
  cleanup.add('stop logs -t', async () => child.kill());
  const seen = (test: (text: string) => boolean, ms: number, what: string): Promise<number> =>
    withDeadline(new Promise<number>((resolve) => waiters.push({ test, resolve })), ms, what);

  // Latency.
  await sleep(1000); // logs -t connected
  const lastStamp = seen((t) => t.startsWith(`stamp ${STAMPS} `), 60_000, 'the last stamped line');
  await slipway.fetchApp(app, `/stamp?n=${STAMPS}&gap=10`);
  await lastStamp;
  const sorted = [...latencies].sort((a, b) => a - b);

  // Throughput and CPU.
  const rows: string[][] = [];
  let sustained = 0;
  let cpuPerThousand: number | null = null;
  for (const rate of RATES) {
    const tag = `r${rate}`;
    let doneText = '';
    const done = seen((t) => { if (t.startsWith(`burst ${tag} done `)) { doneText = t; return true; } return false; }, BURST_SECONDS * 1000 + DEADLINE.burstDrain, `burst at ${rate}/s`).catch(() => null);
    const cpu0 = cpuSeconds();
    const t0 = Date.now();
    await slipway.fetchApp(app, `/burst?rate=${rate}&seconds=${BURST_SECONDS}&tag=${tag}`);
    const arrived = await done;
    const cpu = cpuSeconds() - cpu0;
    const wall = (Date.now() - t0) / 1000;
    const got = burstLines.get(tag) ?? 0;
    const expected = rate * BURST_SECONDS;
    const lag = arrived === null ? null : arrived - Number(doneText.split(' ')[4]);
    const ok = arrived !== null && got === expected && lag !== null && lag <= MAX_LAG_MS;
    const perThousand = (cpu / wall) / (rate / 1000) * 100; // % of one core per 1,000 lines/s
    if (ok) { sustained = rate; cpuPerThousand = perThousand; }
    rows.push([`${rate.toLocaleString('en')} lines/s`, `${got.toLocaleString('en')} / ${expected.toLocaleString('en')}`,
      lag === null ? 'never' : `${lag} ms`, `${((cpu / wall) * 100).toFixed(0)} %`, `${perThousand.toFixed(2)} %`, ok ? 'yes' : 'no']);
    if (!ok) break;
    await sleep(2000);
  }
  child.kill();

  // Memory per app of kept history.
  const gc = (globalThis as { gc?: () => void }).gc;
  // What the bursts left (the CLI's pipe, Docker's buffers) is freed first, or it shows as a negative growth.
  gc?.();
  await sleep(500);
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const hub = slipway.platform.logs;
  const names: string[] = [];
  for (let a = 0; a < HISTORY_APPS; a += 1) {
    const name = uniqueName('hist');
    names.push(name);
    for (let i = 0; i < HISTORY_LINES; i += 1000) {
      await hub.write(name, Array.from({ length: 1000 }, (_, j) => ({ time: nowMicros(), source: 'app' as const, process: 'web.1', text: `history line ${i + j} padding-to-a-typical-length-of-an-app-log-line` })));
    }
  }
  await sleep(200); // the store's 50 ms flush
  gc?.();
  const heapPerApp = (process.memoryUsage().heapUsed - heap0) / HISTORY_APPS;
  const rssPerApp = (process.memoryUsage().rss - rss0) / HISTORY_APPS;
  const diskPerApp = names.reduce((sum, name) => sum + dirBytes(path.join(slipway.stateDir, 'logs', 'apps', name)), 0) / HISTORY_APPS;
  for (const name of names) await hub.forget(name);

  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(`\nLogs benchmark: Slipway ${revision}, ${machineDescription()}`);
  console.log(`Machine at start: ${activity} (shared and noisy: figures vary from run to run)\n`);
  console.log(table([
    ['latency p50, app write → logs -t', `${percentile(sorted, 50)} ms`, ''],
    ['latency p95', `${percentile(sorted, 95)} ms`, ''],
    ['latency p99', `${percentile(sorted, 99)} ms`, `≤ ${GOAL.p99Ms} ms: ${percentile(sorted, 99) <= GOAL.p99Ms ? 'met' : 'missed'}`],
    ['highest sustained rate, one app', `${sustained.toLocaleString('en')} lines/s`, `≥ ${GOAL.linesPerSecond.toLocaleString('en')}: ${sustained >= GOAL.linesPerSecond ? 'met' : 'missed'}`],
    ['CPU per 1,000 lines/s (at that rate)', cpuPerThousand === null ? 'n/a' : `${cpuPerThousand.toFixed(2)} % of a core`, ''],
    [`memory per app, ${HISTORY_LINES.toLocaleString('en')} lines kept`, `heap ${kb(heapPerApp)}, RSS ${kb(rssPerApp)}${gc ? '' : ' (no --expose-gc)'}`, ''],
    [`disk per app, ${HISTORY_LINES.toLocaleString('en')} lines kept`, kb(diskPerApp), ''],
  ], ['figure', 'Slipway', 'goal'], [1, 2]));
  console.log(`\n${table(rows, ['rate asked', 'lines at logs -t', 'last line lag', 'Slipway CPU', 'per 1,000/s', 'sustained'])}\n`);
  console.log(`Latency over ${sorted.length} lines (${STAMPS} written); bursts of ${BURST_SECONDS} s; sustained = every line at logs -t, the last within ${MAX_LAG_MS} ms.`);
  return 0;
}

runBenchmark(main, { deadlineMs: DEADLINE.whole, cleanupStepMs: DEADLINE.cleanupStep, cleanedUp: 'Cleaned up: apps destroyed, Slipway closed.' });
