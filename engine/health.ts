/** Waits for a new web process to accept HTTP on $PORT, the default health check (Heroku: 60 s). */
import http from 'node:http';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** One HTTP request; any HTTP answer, whatever its status, proves the process accepts HTTP. */
export function probeHttp(url: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

export interface BootWatch {
  /** Still worth waiting for? Returns a reason to give up early (e.g. the process exited). */
  stillAlive(): Promise<string | null>;
  /** Aborted when the deploy is cancelled or out of time: waits end at once, stillAlive then says why. */
  signal?: AbortSignal;
  /** A check failed an attempt and waits to retry (a newer push may cancel such a deploy). */
  retrying?(): void;
}

/**
 * Probes until the process answers, gives up early when the process died, and fails after
 * timeoutMs. Readiness of another process can only be learnt by asking it, hence the probe loop.
 */
export async function waitUntilServing(url: string, timeoutMs: number, watch: BootWatch, intervalMs = 200): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probeHttp(url)) return { ok: true };
    const death = await watch.stillAlive();
    if (death) return { ok: false, reason: death };
    if (Date.now() >= deadline) {
      return { ok: false, reason: `web process did not bind $PORT within ${Math.round(timeoutMs / 1000)}s` };
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
