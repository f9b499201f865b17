/**
 * Health checks of one instance: the default "accepts HTTP on $PORT" boot check, and app.json
 * checks in Dokku's format (path, content, attempts, wait, timeout, initialDelay).
 */
import http from 'node:http';
import type { HealthCheck } from './app-json';
import { describeProbeError, formatSeconds, waitUntilServing, type BootWatch, type CheckReport } from './health';

export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface ProbeAnswer {
  status: number;
  body: string;
}

/** What one GET got: an answer, or why there was none ("connection refused", "no answer within 5 s"). */
export type ProbeOutcome = { answer: ProbeAnswer } | { failure: string };

/** One GET with a deadline, cut short when `signal` aborts (the deploy was cancelled or ran out of time). */
export function httpProbe(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    // Cut short by the signal: no answer, whatever error the abort surfaced as.
    const failed = (error: unknown): void => settle({ failure: signal?.aborted ? 'no answer' : describeProbeError(error, timeoutMs) });
    // The whole attempt is bounded, not just each idle gap: a streaming endpoint must not hang a deploy.
    const deadline = setTimeout(() => {
      request.destroy();
      settle({ failure: `no answer within ${formatSeconds(timeoutMs)}` });
    }, timeoutMs);
    const request = http.get(url, { agent: false, signal }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { if (body.length < 65536) body += chunk; });
      response.on('end', () => settle({ answer: { status: response.statusCode ?? 0, body } }));
      response.on('error', (error) => failed(error));
    });
    request.on('error', failed);
  });
}

/** One GET with a deadline; null when nothing answered. */
export async function httpGet(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeAnswer | null> {
  const outcome = await httpProbe(url, timeoutMs, signal);
  return 'answer' in outcome ? outcome.answer : null;
}

/** Why what a probe got does not satisfy the check, or null when it does. Pure. */
export function outcomeProblem(check: HealthCheck, outcome: ProbeOutcome): string | null {
  return 'failure' in outcome ? outcome.failure : answerProblem(check, outcome.answer);
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

/**
 * Runs one check with its attempts; stops early when the instance died, or when `watch.signal`
 * aborts (cancelled, or out of SLIPWAY_BOOT_TIMEOUT: stillAlive then says why). `report` hears each
 * attempt that fails (n of m, and what answered) and the one that passes after a failure.
 */
export async function runCheck(check: HealthCheck, baseUrl: string | null, watch: BootWatch, report: CheckReport = () => undefined): Promise<CheckResult> {
  const probed = check.path !== null && baseUrl !== null;
  if (check.initialDelay > 0) {
    if (probed) report(`${check.name}: waiting ${formatSeconds(check.initialDelay * 1000)} (initialDelay) before the first attempt`);
    await delay(check.initialDelay * 1000, watch.signal);
  }
  let lastProblem = 'not tried';
  for (let attempt = 1; attempt <= check.attempts; attempt += 1) {
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: `${check.name}: ${death}` };
    if (!probed) return { ok: true }; // staying up was all it asked
    const problem = outcomeProblem(check, await httpProbe(`${baseUrl}${check.path}`, check.timeout * 1000, watch.signal));
    if (!problem) {
      if (attempt > 1) report(`${check.name}: passed on attempt ${attempt} of ${check.attempts}`);
      return { ok: true };
    }
    lastProblem = problem;
    // An attempt cut short says nothing of the app: the next stillAlive (or the caller) says why it stopped.
    if (watch.signal?.aborted) continue;
    const next = attempt < check.attempts ? `, next in ${formatSeconds(check.wait * 1000)}` : '';
    report(`${check.name}: attempt ${attempt} of ${check.attempts}: GET ${check.path} ${problem}${next}`);
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
  report: CheckReport = () => undefined,
): Promise<CheckResult> {
  if (process === 'web') {
    if (!url) return { ok: false, reason: 'web process has no published port' };
    const boot = await waitUntilServing(url, bootTimeoutMs, watch, undefined, report);
    if (!boot.ok) return boot;
  }
  for (const check of checks.filter((c) => c.type === 'startup' || c.type === 'readiness')) {
    const result = await runCheck(check, url, watch, report);
    if (!result.ok) return result;
  }
  if (process !== 'web') {
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: death };
  }
  return { ok: true };
}
