/**
 * Platform health for `slipway status`: one line per component (API, database, etcd, registry,
 * Docker, router). Each component is a probe, a function that resolves with a short detail when
 * the component answers and throws when it does not; probes run in parallel, each within a time limit.
 */

export type StatusComponent = 'api' | 'database' | 'etcd' | 'registry' | 'docker' | 'router';

/** Resolves with what the component said (a version, an address), or throws why it is not usable. */
export type Probe = () => Promise<string>;

export interface ComponentStatus {
  component: StatusComponent;
  ok: boolean;
  /** What answered (ok), or why it did not (not ok). */
  detail: string;
}

/** The order `slipway status` prints them in: from the API the CLI talks to, down to the router users reach. */
export const STATUS_COMPONENTS: readonly StatusComponent[] = ['api', 'database', 'etcd', 'registry', 'docker', 'router'];

const PROBE_TIMEOUT_MS = 3000;

function withTimeout(probe: Probe, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    probe().then(
      (detail) => { clearTimeout(timer); resolve(detail); },
      (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(String(error))); },
    );
  });
}

export class PlatformStatus {
  constructor(
    private readonly probes: Readonly<Record<StatusComponent, Probe>>,
    private readonly timeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  async check(): Promise<ComponentStatus[]> {
    return Promise.all(STATUS_COMPONENTS.map(async (component) => {
      try {
        return { component, ok: true, detail: await withTimeout(this.probes[component], this.timeoutMs) };
      } catch (error) {
        return { component, ok: false, detail: (error as Error).message.split('\n')[0] ?? 'failed' };
      }
    }));
  }
}
