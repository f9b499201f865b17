/**
 * Health checks of one instance: the default "accepts HTTP on $PORT" boot check, and app.json
 * checks in Dokku's format (path, content, attempts, wait, timeout, initialDelay).
 */
import http from 'node:http';
import type { HealthCheck } from './app-json';
import { waitUntilServing, type BootWatch } from './health';

export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface ProbeAnswer {
  status: number;
  body: string;
}

/** One GET with a deadline; null when nothing answered. */
export function httpGet(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeAnswer | null> {
  return new Promise((resolve) => {
    // The whole attempt is bounded, not just each idle gap: a streaming endpoint must not hang a deploy.
    const deadline = setTimeout(() => { request.destroy(); resolve(null); }, timeoutMs);
    const settle = (answer: ProbeAnswer | null): void => { clearTimeout(deadline); resolve(answer); };
    const request = http.get(url, { agent: false, signal }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { if (body.length < 65536) body += chunk; });
      response.on('end', () => settle({ status: response.statusCode ?? 0, body }));
      response.on('error', () => settle(null));
    });
    request.on('error', () => settle(null));
  });
}

/** Why an answer does not satisfy the check, or null when it does. Pure. */
export function answerProblem(check: HealthCheck, answer: ProbeAnswer | null): string | null {
  if (!answer) return 'no answer';
  if (answer.status < 200 || answer.status >= 400) return `answered ${answer.status}`;
  if (check.content !== null && !answer.body.includes(check.content)) return `answer does not contain "${check.content}"`;
  return null;
}

/** Waits ms, or less when the signal aborts (the caller then learns why from stillAlive). */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs one check with its attempts; stops early when the instance died. */
export async function runCheck(check: HealthCheck, baseUrl: string | null, watch: BootWatch): Promise<CheckResult> {
  if (check.initialDelay > 0) await delay(check.initialDelay * 1000, watch.signal);
  let lastProblem = 'not tried';
  for (let attempt = 1; attempt <= check.attempts; attempt += 1) {
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: `${check.name}: ${death}` };
    if (check.path === null || baseUrl === null) return { ok: true }; // staying up was all it asked
    const problem = answerProblem(check, await httpGet(`${baseUrl}${check.path}`, check.timeout * 1000, watch.signal));
    if (!problem) return { ok: true };
    lastProblem = problem;
    if (attempt < check.attempts) {
      watch.retrying?.();
      await delay(check.wait * 1000, watch.signal);
    }
  }
  return { ok: false, reason: `${check.name} failed: GET ${check.path} ${lastProblem} after ${check.attempts} attempt(s)` };
}

/**
 * What must pass before an instance may be routed: the boot check for web (any HTTP answer on
 * $PORT within the boot timeout), then its startup and readiness checks in order.
 */
export async function checkBeforeRouting(
  process: string, url: string | null, checks: readonly HealthCheck[], bootTimeoutMs: number, watch: BootWatch,
): Promise<CheckResult> {
  if (process === 'web') {
    if (!url) return { ok: false, reason: 'web process has no published port' };
    const boot = await waitUntilServing(url, bootTimeoutMs, watch);
    if (!boot.ok) return boot;
  }
  for (const check of checks.filter((c) => c.type === 'startup' || c.type === 'readiness')) {
    const result = await runCheck(check, url, watch);
    if (!result.ok) return result;
  }
  if (process !== 'web') {
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: death };
  }
  return { ok: true };
}
