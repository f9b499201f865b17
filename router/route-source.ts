/**
 * How routes reach the router, without naming etcd: the proxy and the lifecycle code depend on
 * these interfaces only, and the etcd implementation (etcd-source.ts) is chosen in index.ts.
 */
import type { RouteChange, RouteEntry } from './route-table';

/** What a source feeds: a whole consistent snapshot, then the changes after it, in order. */
export interface RouteSink {
  reset(entries: Iterable<RouteEntry>): void;
  apply(change: RouteChange): void;
}

export interface RouteSourceStatus {
  /** The etcd revision the table reflects; null until the first snapshot. */
  readonly revision: number | null;
  /** True while the table is known to follow etcd (snapshot loaded and watch not broken). */
  readonly connected: boolean;
  /** When the table was last known to match etcd (ms since the epoch); null until the first snapshot. */
  readonly lastInSyncAt: number | null;
}

export interface RouteSource {
  /** Resolves once the first snapshot is in the sink; never rejects (the source keeps retrying). */
  readonly firstSync: Promise<void>;
  status(): RouteSourceStatus;
  /** Stops following; the sink keeps the last table it was given. */
  close(): Promise<void>;
}
