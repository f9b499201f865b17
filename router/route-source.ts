/**
 * How routes reach the router, without naming etcd: the proxy and the lifecycle code depend on
 * these interfaces only, and the etcd implementation (etcd-source.ts) is chosen in index.ts.
 */
import type { RouteChange, RouteEntry } from './route-table';

/**
 * What a source feeds: one whole consistent snapshot (reset), then changes in order (apply).
 * A later re-snapshot reaches the sink as changes too (only the keys that differ), so a sink can
 * keep per-entry state across resyncs. Several sinks (the route table, a certificate store) can
 * share one source by fanning the calls out.
 */
export interface RouteSink {
  reset(entries: Iterable<RouteEntry>): void;
  apply(change: RouteChange): void;
}

/** How the last (re-)snapshot went. */
export interface ResyncReport {
  /** `full`: the first snapshot, handed over whole; `diff`: a resync applied as changes. */
  readonly kind: 'full' | 'diff';
  readonly revision: number;
  /** Keys in the snapshot. */
  readonly keys: number;
  readonly puts: number;
  readonly deletes: number;
  readonly durationMs: number;
  /**
   * Why the watch before this resync ended ("watch lagged 412 ms behind etcd", "error: …"):
   * kept after the lag itself is gone, which a resync clears at once.
   */
  readonly after?: string;
}

export interface RouteSourceStatus {
  /** The etcd revision the table reflects; null until the first snapshot. */
  readonly revision: number | null;
  /** True while the table is known to follow etcd (snapshot loaded and watch not broken). */
  readonly connected: boolean;
  /** When the table was last known to match etcd (ms since the epoch); null until the first snapshot. */
  readonly lastInSyncAt: number | null;
  /** etcd's own revision when last probed (it counts changes outside the router's keys too). */
  readonly etcdRevision: number | null;
  /** How long the table has been behind a change etcd already has (0 when caught up). */
  readonly watchLagSeconds: number;
  /** Where the routes being served came from: the local cache until etcd first answers. */
  readonly routesFrom: 'etcd' | 'cache' | null;
  /** Re-snapshots since the first one (after a broken, compacted or stuck watch). */
  readonly resyncs: number;
  /** Changes applied after the first snapshot (watch events and resync diffs). */
  readonly changesApplied: number;
  /** Keys the sink holds. */
  readonly keyCount: number;
  readonly lastResync: ResyncReport | null;
  /** Heap the first snapshot took, per key (see etcd-source.ts); null until measured. */
  readonly memoryPerKeyBytes: number | null;
}

export interface RouteSource {
  /** Resolves once the first snapshot is in the sink; never rejects (the source keeps retrying). */
  readonly firstSync: Promise<void>;
  status(): RouteSourceStatus;
  /** Stops following; the sink keeps the last table it was given. */
  close(): Promise<void>;
}
