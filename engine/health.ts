/** Waits for a new web process to accept HTTP on $PORT, the default health check (Heroku: 60 s). */
import http from 'node:http';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** One line of check progress for whoever deploys ("web.1: attempt 2 of 3: answered 500"). */
export type CheckReport = (line: string) => void;

/** What a failed connection attempt says to a user: "connection refused", "no answer within 2 s". Pure. */
export function describeProbeError(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ETIMEDOUT_PROBE') return `no answer within ${formatSeconds(timeoutMs)}`;
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens on the port yet)';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset before an answer';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  return error instanceof Error && error.message ? error.message : 'no answer';
}

export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 10) / 100} s`;
}

/** One HTTP request; null when it got any HTTP answer, whatever its status, else why not. */
export function probeHttpProblem(url: string, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(null);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT_PROBE' })));
    request.on('error', (error) => resolve(describeProbeError(error, timeoutMs)));
  });
}

/** One HTTP request; any HTTP answer, whatever its status, proves the process accepts HTTP. */
export async function probeHttp(url: string, timeoutMs = 2000): Promise<boolean> {
  return (await probeHttpProblem(url, timeoutMs)) === null;
}

export interface BootWatch {
  /** Still worth waiting for? Returns a reason to give up early (e.g. the process exited). */
  stillAlive(): Promise<string | null>;
  /** Aborted when the deploy is cancelled or out of time: waits end at once, stillAlive then says why. */
  signal?: AbortSignal;
  /** A check failed an attempt and waits to retry (a newer push may cancel such a deploy). */
  retrying?(): void;
}

/** Seconds between two "still waiting" lines while a process has not bound $PORT yet. */
export const BOOT_REPORT_EVERY_MS = 10_000;

/**
 * Probes until the process answers, gives up early when the process died, and fails after
 * timeoutMs. Readiness of another process can only be learnt by asking it, hence the probe loop.
 * `report` hears the wait begin, what the probes get (when it changes, and every 10 s) and the end.
 */
export async function waitUntilServing(
  url: string, timeoutMs: number, watch: BootWatch, intervalMs = 200, report: CheckReport = () => undefined,
): Promise<ProbeResult> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastSaid: string | null = null;
  let lastSaidAt = started;
  let probes = 0;
  for (;;) {
    const problem = await probeHttpProblem(url);
    probes += 1;
    if (problem === null) {
      if (probes > 1) report(`answers HTTP on $PORT after ${formatSeconds(Date.now() - started)}`);
      return { ok: true };
    }
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: death };
    if (Date.now() >= deadline) {
      return { ok: false, reason: `web process did not bind $PORT within ${Math.round(timeoutMs / 1000)}s` };
    }
    if (lastSaid === null) {
      report(`waiting for it to answer HTTP on $PORT (up to ${formatSeconds(timeoutMs)}): ${problem}`);
      lastSaid = problem;
      lastSaidAt = Date.now();
    } else if (problem !== lastSaid || Date.now() - lastSaidAt >= BOOT_REPORT_EVERY_MS) {
      report(`still waiting after ${formatSeconds(Math.round((Date.now() - started) / 1000) * 1000)}: ${problem}`);
      lastSaid = problem;
      lastSaidAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
