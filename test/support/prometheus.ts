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
  /** An instant query's vector: labels and value of each series. */
  query(promql: string): Promise<Array<{ labels: Record<string, string>; value: number }>>;
  /** Polls `check` until it answers a value (not undefined), or fails after `deadlineMs` saying what it waited for. */
  until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** `port`: one chosen beforehand (a free one by default), when the code under test must know it first. */
export async function startPrometheus(targets: readonly ScrapeTarget[], port?: number): Promise<TestPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-prometheus-'));
  port ??= await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: targets.map((t) => ({
      job_name: t.job,
      ...(t.path ? { metrics_path: t.path } : {}),
      ...(t.tokenFile ? { authorization: { credentials_file: t.tokenFile } } : {}),
      static_configs: [{ targets: [t.address] }],
    })),
  };
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const log = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

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
      if (Date.now() > deadline) {
        const tail = fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').split('\n').slice(-5).join('\n');
        throw new Error(`Prometheus: waited ${deadlineMs} ms for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const prometheus: TestPrometheus = {
    url,
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
    await until('its readiness', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
  } catch (error) {
    await prometheus.close();
    throw error;
  }
  return prometheus;
}
