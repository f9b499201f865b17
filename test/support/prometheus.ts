/**
 * A real Prometheus (Debian's package) for a test: its own config, data dir and free port, scraping
 * the targets the test names every second. Readiness and scrapes are awaited by asking its HTTP
 * API until a condition holds, with a bounded deadline; nothing waits a fixed time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './slipway';

export interface ScrapeTarget {
  readonly job: string;
  /** host:port */
  readonly address: string;
  readonly path?: string;
  /** A file holding the Bearer token to present. */
  readonly tokenFile?: string;
}

export interface TestPrometheus {
  readonly url: string;
  /** Scrapes these targets from now on (its config rewritten and reloaded), once Prometheus has taken them. */
  scrape(targets: readonly ScrapeTarget[]): Promise<void>;
  /** An instant query's vector: labels and value of each series. */
  query(promql: string): Promise<Array<{ labels: Record<string, string>; value: number }>>;
  /** Polls `check` until it answers a value (not undefined), or fails after `deadlineMs` saying what it waited for. */
  until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * A Prometheus on a free port, scraping nothing yet. It is started before the Slipway under test
 * (which must be told its URL) and given its targets later with `scrape`: a port chosen early and
 * bound minutes later was once taken meanwhile. A port lost between `freePort()` and Prometheus's
 * bind is retried on another.
 */
export async function startPrometheus(): Promise<TestPrometheus> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startPrometheusOnce();
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= 5) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startPrometheusOnce(): Promise<TestPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-prometheus-'));
  const port = await freePort();
  const configFile = path.join(dir, 'prometheus.yml');
  const writeConfig = (targets: readonly ScrapeTarget[]) => fs.writeFileSync(configFile, stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: targets.map((t) => ({
      job_name: t.job,
      ...(t.path ? { metrics_path: t.path } : {}),
      ...(t.tokenFile ? { authorization: { credentials_file: t.tokenFile } } : {}),
      static_configs: [{ targets: [t.address] }],
    })),
  }));
  writeConfig([]);
  const logFile = path.join(dir, 'prometheus.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
  ], { stdio: ['ignore', log, log] });
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running = false; resolve(); }));
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => fs.readFileSync(logFile, 'utf8').split('\n').slice(-5).join('\n');

  async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    let last: unknown = null;
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      if (!running) throw new Error(`Prometheus exited while the test waited for ${what}\n${logTail()}`);
      if (Date.now() > deadline) throw new Error(`Prometheus: waited ${deadlineMs} ms for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const prometheus: TestPrometheus = {
    url,
    async scrape(targets) {
      writeConfig(targets);
      const reload = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!reload.ok) throw new Error(`Prometheus refused its new config: ${reload.status} ${await reload.text()}\n${logTail()}`);
      const jobs = new Set(targets.map((t) => t.job));
      await until(`the targets ${[...jobs].join(', ')}`, async () => {
        const answer = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: Array<{ scrapePool: string }> } };
        const taken = new Set(answer.data.activeTargets.map((t) => t.scrapePool));
        return [...jobs].every((job) => taken.has(job)) ? true : undefined;
      }, 30_000);
    },
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: promql }) });
      const answer = (await response.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (answer.status !== 'success') throw new Error(`query ${promql}: ${answer.error ?? 'failed'}`);
      return answer.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    until,
    async close() {
      child.kill('SIGTERM');
      await exited;
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // Ready, and ours: whatever else took the port would not name this data directory.
    await until('its readiness', async () => {
      if (!(await fetch(`${url}/-/ready`)).ok) return undefined;
      const flags = (await (await fetch(`${url}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
      return flags.data['storage.tsdb.path'] === path.join(dir, 'data') ? true : undefined;
    }, 30_000);
  } catch (error) {
    const taken = /address already in use/.test(fs.readFileSync(logFile, 'utf8'));
    await prometheus.close();
    throw taken ? new PortTaken(`port ${port} taken`) : error;
  }
  return prometheus;
}
