/** The real probes behind `slipway status` (engine/platform-status.ts): one call to each component. */
import type Docker from 'dockerode';
import type { Etcd3 } from 'etcd3';
import type { Knex } from 'knex';
import type { Probe, StatusComponent } from '../engine/platform-status';

export interface StatusProbeDeps {
  db: Knex;
  etcd: Etcd3;
  docker: Docker;
  /** host:port of the Docker registry. */
  registry: string;
  /** Where the router's admin server answers /health, e.g. http://127.0.0.1:5081. */
  routerAdminUrl: string;
  version: string;
}

async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await response.arrayBuffer();
  return response.status;
}

function reason(error: unknown): string {
  let current: unknown = error;
  // fetch reports "fetch failed" with the reason (ECONNREFUSED, …) in its cause.
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(error);
}

function explained(probe: Probe): Probe {
  return () => probe().catch((error: unknown) => { throw new Error(reason(error)); });
}

export function statusProbes(deps: StatusProbeDeps): Record<StatusComponent, Probe> {
  return {
    api: () => Promise.resolve(`answering, version ${deps.version}`),
    database: explained(async () => {
      await deps.db.raw('select 1');
      return `${(deps.db.client as { dialect?: string }).dialect ?? 'sql'} answering`;
    }),
    etcd: explained(async () => {
      const status = await deps.etcd.maintenance.status();
      return `etcd ${status.version}, ${Math.round(Number(status.dbSize) / 1024)} KB`;
    }),
    registry: explained(async () => {
      const status = await httpStatus(`http://${deps.registry}/v2/`);
      if (status !== 200 && status !== 401) throw new Error(`http://${deps.registry}/v2/ answered ${status}`);
      return `${deps.registry} answering`;
    }),
    docker: explained(async () => {
      const version = await deps.docker.version();
      return `Docker ${version.Version}`;
    }),
    router: explained(async () => {
      const status = await httpStatus(`${deps.routerAdminUrl}/health`);
      if (status !== 200) throw new Error(`${deps.routerAdminUrl}/health answered ${status} (see the router log)`);
      return `healthy (${deps.routerAdminUrl}/health)`;
    }),
  };
}
