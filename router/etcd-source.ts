/**
 * Feeds a RouteSink from etcd, exactly once: a snapshot of `<prefix>/apps/` at revision R, then
 * a watch from R + 1, so no change is missed and none is applied twice.
 *
 * Whenever the watch breaks (etcd went away, the stream ended, the start revision was compacted,
 * or the watch is found stuck behind etcd) the cycle starts over with a fresh snapshot, and only
 * the DIFFERENCE between it and what the sink already has is applied: the source remembers the
 * mod revision of every key it fed, so a key whose mod revision is unchanged is skipped, a key
 * that is gone is deleted, and everything else is put. Requests in flight, balancing state and
 * passive health survive a resync; the first snapshot alone goes to the sink as a whole (reset).
 * Until a resync succeeds the sink keeps the last good table.
 *
 * We deliberately do not rely on the etcd3 client's own watch reconnection: it resumes from the
 * last response header's revision, which can skip events while a watcher catches up in batches.
 * Its per-call retries and circuit breaker are turned off too: this loop has its own backoff,
 * and a breaker would keep a router from resyncing for seconds after etcd is back.
 *
 * A probe reads etcd's current revision every 2 s while the watch runs. If the table stays
 * behind a change under the prefix that etcd already has (checked with a min-mod-revision read,
 * so changes elsewhere in etcd do not count), that is the watch lag; past `lostWatchAfterMs` the
 * watch counts as lost and is replaced by a resync. Probes failing three times in a row (etcd
 * unreachable without the stream noticing, e.g. a network partition) end the watch as well.
 */
import type { Etcd3, IOptions, IWatchResponse, Watcher } from 'etcd3';
import { appsPrefix } from '../lib/etcd-keys';
import type { Logger } from '../lib/log';
import type { RouteChange, RouteEntry } from './route-table';
import { readRouteCache, ROUTE_CACHE_VERSION, writeRouteCache, type RouteCacheData, type RouteCacheOptions } from './route-cache';
import type { ResyncReport, RouteSink, RouteSource, RouteSourceStatus } from './route-source';

export interface EtcdRouteSourceOptions {
  readonly urls: readonly string[];
  readonly prefix: string;
  readonly sink: RouteSink;
  readonly logger: Logger;
  /** Deadline of one etcd request; past it the request counts as failed and the cycle is retried. */
  readonly requestTimeoutMs?: number;
  /** First and largest pause between failed sync attempts (doubling in between, ±20 % jitter). */
  readonly retryDelayMs?: { readonly initial: number; readonly max: number };
  /** Keys per snapshot page (all pages are read at the same revision). */
  readonly pageSize?: number;
  /** How often the watch is checked against etcd's current revision; 0 turns the probe off. */
  readonly probeIntervalMs?: number;
  /** A watch this far behind a change etcd already has is considered lost and replaced. */
  readonly lostWatchAfterMs?: number;
  /**
   * Test seam: awaited after a snapshot is in the sink and before its watch starts, so a test
   * can change etcd exactly in that gap. Receives the snapshot revision.
   */
  readonly afterSnapshot?: (revision: number) => Promise<void>;
  /** Test seam: return false to drop a watch response, as a watch that silently stalled would. */
  readonly onWatchResponse?: (response: IWatchResponse) => boolean;
  /** A local copy of the routes to start from, and to keep up to date (router/route-cache.ts). */
  readonly cache?: RouteCacheOptions;
}

/** A watch that lived this long counts as a healthy cycle: the retry delay starts over. */
const HEALTHY_CYCLE_MS = 1000;
/** How long close() waits for etcd to confirm the watch cancellation. */
const CANCEL_TIMEOUT_MS = 2000;
/** Consecutive failed probes after which the watch is presumed dead. */
const PROBE_FAILURES_BEFORE_RESYNC = 3;
/** How often the route cache is rewritten while routes change (and at every resync and close). */
const CACHE_WRITE_INTERVAL_MS = 60_000;

type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** Runs each etcd call once: no retries, no circuit breaker (see the header comment). */
const PASS_THROUGH = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
} as unknown as FaultPolicy;

export function startEtcdRouteSource(options: EtcdRouteSourceOptions): RouteSource {
  const source = new EtcdRouteSource(options);
  source.start();
  return source;
}

/**
 * A source that has read its route cache (if any) but not yet contacted etcd: start() does.
 * A router serving from its cache listens first and starts following etcd right after, since
 * loading the etcd client alone takes a noticeable part of a second.
 */
export function createEtcdRouteSource(options: EtcdRouteSourceOptions): RouteSource & { start(): void } {
  return new EtcdRouteSource(options);
}

/** The etcd client library, loaded on first use (see createEtcdRouteSource). */
function loadEtcd3(): typeof import('etcd3') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('etcd3') as typeof import('etcd3');
}

interface SnapshotKey {
  readonly key: string;
  readonly modRevision: number;
  /** Decoded lazily: a resync needs the values of changed keys only. */
  readonly raw: Buffer;
}

class EtcdRouteSource implements RouteSource {
  readonly firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private clientInstance: Etcd3 | null = null;
  private started = false;
  private readonly logger: Logger;
  private readonly prefixStart: Buffer;
  private readonly prefixEnd: Buffer;
  private closed = false;
  private closing: Promise<void> | null = null;
  private running: Promise<void> = Promise.resolve();
  /** What the sink holds: every key fed to it and the mod revision it was fed at. */
  private known: Map<string, number> | null = null;
  /** The values of those keys, kept only to write the route cache. */
  private values: Map<string, string> | null = null;
  /** etcd's cluster id, from the last snapshot (or the cache). */
  private clusterId: string | null = null;
  private routesFrom: 'etcd' | 'cache' | null = null;
  private cacheDirty = false;
  private cacheTimer: NodeJS.Timeout | null = null;
  private cacheWriting: Promise<void> = Promise.resolve();
  private revision: number | null = null;
  private connected = false;
  private lastInSyncAt: number | null = null;
  private resyncs = 0;
  /** Why the last watch ended, for the next resync's report. */
  private watchEndedBecause: string | null = null;
  private changesApplied = 0;
  private lastResync: ResyncReport | null = null;
  private memoryPerKeyBytes: number | null = null;
  /** The watch being followed, and how to end it early (on close, or when found lost). */
  private activeWatch: { watcher: Watcher; stop: (reason: string) => void } | null = null;
  /** Ends the current pause between attempts early (on close). */
  private wakeFromPause: (() => void) | null = null;
  // Probe state (see the header comment).
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private probeFailures = 0;
  private etcdRevision: number | null = null;
  /** Highest revision up to which the probe found no change under the prefix that the table lacks. */
  private confirmedRevision = 0;
  /** A revision etcd had that the table was not known to cover, and since when (ms). */
  private behind: { revision: number; since: number; confirmed: boolean } | null = null;

  constructor(private readonly options: EtcdRouteSourceOptions) {
    this.logger = options.logger;
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve;
    });
    this.prefixStart = Buffer.from(appsPrefix(options.prefix));
    this.prefixEnd = prefixEnd(this.prefixStart);
    if (options.cache) {
      this.values = new Map();
      this.loadCache(options.cache);
    }
  }

  /** Serves from the local copy until etcd answers (see route-cache.ts), measuring what the routes hold. */
  private loadCache(cache: RouteCacheOptions): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    const heapBefore = heapUsed(gc);
    const keyCount = this.applyCache(cache);
    // (The file's parsed arrays are garbage by now: with --expose-gc they are not counted.)
    const grown = heapUsed(gc) - heapBefore;
    if (keyCount > 0 && grown > 0) this.memoryPerKeyBytes = Math.round(grown / keyCount);
  }

  /** The routes of the local copy into the sink; how many keys (0: no usable copy). */
  private applyCache(cache: RouteCacheOptions): number {
    const data = readRouteCache(cache.file, this.options.prefix, cache.maxAgeMs, Date.now());
    if (data === null) return 0;
    const known = new Map<string, number>();
    const values = new Map<string, string>();
    const entries: RouteEntry[] = [];
    for (let i = 0; i < data.keys.length; i += 1) {
      const key = data.keys[i] as string;
      const value = data.values[i] as string;
      known.set(key, data.mods[i] as number);
      values.set(key, value);
      entries.push({ key, value });
    }
    this.options.sink.reset(entries);
    this.known = known;
    this.values = values;
    this.clusterId = data.clusterId;
    this.revision = data.revision;
    this.lastInSyncAt = data.writtenAt;
    this.routesFrom = 'cache';
    this.logger.info({ revision: data.revision, keys: known.size, ageMs: Date.now() - data.writtenAt }, 'serving routes from the local cache until etcd answers');
    this.resolveFirstSync();
    return known.size;
  }

  /** Writes the route cache now (after the previous write finished); errors are logged, not thrown. */
  private writeCache(): Promise<void> {
    const cache = this.options.cache;
    if (!cache?.write || this.known === null || this.values === null || this.clusterId === null || this.routesFrom !== 'etcd') return this.cacheWriting;
    const keys: string[] = [];
    const mods: number[] = [];
    const values: string[] = [];
    for (const [key, mod] of this.known) {
      keys.push(key);
      mods.push(mod);
      values.push(this.values.get(key) ?? '');
    }
    const data: RouteCacheData = { version: ROUTE_CACHE_VERSION, prefix: this.options.prefix, clusterId: this.clusterId, revision: this.revision ?? 0, writtenAt: Date.now(), keys, mods, values };
    this.cacheDirty = false;
    this.cacheWriting = this.cacheWriting
      .then(() => writeRouteCache(cache.file, data))
      .catch((error: unknown) => this.logger.warn({ error: error instanceof Error ? error.message : String(error), file: cache.file }, 'could not write the route cache'));
    return this.cacheWriting;
  }

  private get client(): Etcd3 {
    if (this.clientInstance === null) {
      const { Etcd3: Client } = loadEtcd3();
      this.clientInstance = new Client({
        hosts: [...this.options.urls],
        dialTimeout: this.requestTimeoutMs,
        faultHandling: { host: () => PASS_THROUGH, global: PASS_THROUGH },
        // Snapshots are paged, but a page of large values must still fit.
        grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
      });
    }
    return this.clientInstance;
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 5000;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    // run() catches everything itself; the catch here only guards against a bug in it.
    this.running = this.run().catch((error: unknown) => {
      this.logger.error({ err: error }, 'etcd route source stopped unexpectedly');
    });
    const interval = this.options.probeIntervalMs ?? 2000;
    if (interval > 0) {
      this.probeTimer = setInterval(() => void this.probe(), interval);
      this.probeTimer.unref();
    }
    if (this.options.cache?.write) {
      this.cacheTimer = setInterval(() => {
        if (this.cacheDirty) void this.writeCache();
      }, CACHE_WRITE_INTERVAL_MS);
      this.cacheTimer.unref();
    }
  }

  status(): RouteSourceStatus {
    const now = Date.now();
    return {
      revision: this.revision,
      connected: this.connected,
      lastInSyncAt: this.connected ? now : this.lastInSyncAt,
      etcdRevision: this.etcdRevision,
      watchLagSeconds: this.behind?.confirmed ? (now - this.behind.since) / 1000 : 0,
      routesFrom: this.routesFrom,
      resyncs: this.resyncs,
      changesApplied: this.changesApplied,
      keyCount: this.known?.size ?? 0,
      lastResync: this.lastResync,
      memoryPerKeyBytes: this.memoryPerKeyBytes,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.cacheTimer) clearInterval(this.cacheTimer);
    this.wakeFromPause?.();
    const watch = this.activeWatch;
    if (watch) {
      watch.stop('closed');
      // The client must not be closed with a watcher still attached: it would keep reconnecting.
      await withTimeout(watch.watcher.cancel(), CANCEL_TIMEOUT_MS).catch(() => undefined);
    }
    await this.running;
    this.clientInstance?.close();
    // The next start serves from here at once.
    await this.writeCache();
  }

  /** Snapshot, then watch until the watch breaks; again and again until closed. */
  private async run(): Promise<void> {
    let failedCycles = 0;
    while (!this.closed) {
      const startedAt = Date.now();
      try {
        const revision = await this.loadSnapshot();
        if (this.options.afterSnapshot) await this.options.afterSnapshot(revision);
        if (this.closed) break;
        const reason = await this.followWatch(revision + 1);
        this.watchEndedBecause = reason;
        if (!this.closed) this.logger.warn({ reason, revision: this.revision }, 'etcd watch ended; re-reading a snapshot');
      } catch (error) {
        if (!this.closed) {
          // The message is enough: a stack trace every few seconds of an outage is only noise.
          this.logger.warn(
            { error: error instanceof Error ? error.message : String(error), attempt: failedCycles + 1, revision: this.revision },
            'etcd unreachable; serving the last known routes',
          );
        }
      }
      this.markOutOfSync();
      failedCycles = Date.now() - startedAt >= HEALTHY_CYCLE_MS ? 0 : failedCycles + 1;
      if (failedCycles > 0 && !this.closed) await this.pause(this.retryDelay(failedCycles));
    }
  }

  /** Every key under the prefix at one revision, read in pages pinned to that revision. */
  private async readSnapshot(): Promise<{ revision: number; clusterId: string; keys: SnapshotKey[] }> {
    const pageSize = this.options.pageSize ?? 5000;
    const keys: SnapshotKey[] = [];
    let revision = 0;
    let clusterId = '';
    let start = this.prefixStart;
    for (;;) {
      const response = await this.client.kv.range(
        { key: start, range_end: this.prefixEnd, limit: pageSize, ...(revision > 0 ? { revision } : {}) },
        { deadline: Date.now() + this.requestTimeoutMs },
      );
      if (revision === 0) {
        revision = Number(response.header.revision);
        clusterId = String(response.header.cluster_id);
      }
      for (const kv of response.kvs) keys.push({ key: kv.key.toString('utf8'), modRevision: Number(kv.mod_revision), raw: kv.value });
      const last = response.kvs[response.kvs.length - 1];
      if (!response.more || last === undefined) break;
      // The next page starts just after the last key: key + \0.
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
    return { revision, clusterId, keys };
  }

  private async loadSnapshot(): Promise<number> {
    const startedAt = Date.now();
    const first = this.known === null;
    // Load the etcd client first: its own heap is not the routes'.
    void this.client;
    // With --expose-gc the memory figure is exact (garbage collected before both readings).
    const gc = (globalThis as { gc?: () => void }).gc;
    let heapBefore = first && gc ? heapUsed(gc) : 0;
    let snapshot: { revision: number; clusterId: string; keys: SnapshotKey[] } | null = await this.readSnapshot();
    const { revision, clusterId } = snapshot;
    if (this.closed) return revision;
    const keyCount = snapshot.keys.length;
    const fromCache = this.routesFrom === 'cache';
    // Mod revisions of another etcd cluster say nothing about ours: start over whole.
    if (this.known !== null && this.clusterId !== null && this.clusterId !== clusterId) {
      this.logger.warn({ was: this.clusterId, now: clusterId }, 'etcd is another cluster than the routes came from; reloading them whole');
      this.known = null;
    }
    this.clusterId = clusterId;
    let report: ResyncReport;
    if (this.known === null) {
      if (!gc) heapBefore = heapUsed();
      this.known = this.loadWhole(snapshot.keys);
      snapshot = null; // so the measurement below does not count the raw snapshot
      // What holding the routes costs, per key: the table plus this source's key index.
      const grown = heapUsed(gc) - heapBefore;
      if (keyCount > 0 && grown > 0) this.memoryPerKeyBytes = Math.round(grown / keyCount);
      report = { kind: 'full', revision, keys: keyCount, puts: keyCount, deletes: 0, durationMs: Date.now() - startedAt };
    } else {
      // Only what changed while the watch was not looking.
      const known = this.known;
      const next = new Map<string, number>();
      let puts = 0;
      let deletes = 0;
      const values = this.values;
      for (const kv of snapshot.keys) {
        next.set(kv.key, kv.modRevision);
        if (known.get(kv.key) === kv.modRevision) continue;
        const value = kv.raw.toString('utf8');
        this.options.sink.apply({ type: 'put', key: kv.key, value });
        values?.set(kv.key, value);
        puts += 1;
      }
      for (const key of known.keys()) {
        if (next.has(key)) continue;
        this.options.sink.apply({ type: 'delete', key });
        values?.delete(key);
        deletes += 1;
      }
      this.known = next;
      // The first snapshot after starting from the cache is the catching up, not a resync.
      if (!fromCache) this.resyncs += 1;
      this.changesApplied += puts + deletes;
      report = { kind: 'diff', revision, keys: keyCount, puts, deletes, durationMs: Date.now() - startedAt, ...(this.watchEndedBecause ? { after: this.watchEndedBecause } : {}) };
    }
    this.routesFrom = 'etcd';
    this.lastResync = report;
    this.revision = revision;
    this.confirmedRevision = revision;
    this.behind = null;
    this.probeFailures = 0;
    this.connected = true;
    this.logger.info({ ...report, ...(fromCache ? { fromCache } : {}) }, report.kind === 'full' ? 'loaded routes snapshot from etcd' : 'resynced routes with etcd');
    this.resolveFirstSync();
    void this.writeCache();
    return revision;
  }

  /** The first snapshot goes to the sink whole; returns the key index it now holds. */
  private loadWhole(keys: readonly SnapshotKey[]): Map<string, number> {
    const values = this.values === null ? null : new Map<string, string>();
    this.options.sink.reset(decoded(keys, values));
    const known = new Map<string, number>();
    for (const kv of keys) known.set(kv.key, kv.modRevision);
    if (values) this.values = values;
    return known;
  }

  /** Applies watched changes from `fromRevision` on; resolves with why the watch ended. */
  private followWatch(fromRevision: number): Promise<string> {
    return new Promise((resolve) => {
      // watcher() rather than create(): create() never settles while etcd is unreachable,
      // and we need the handle at once to listen for 'disconnected' and to cancel it.
      const watcher = this.client
        .watch()
        .prefix(appsPrefix(this.options.prefix))
        .startRevision(String(fromRevision))
        .watcher();
      const finish = (reason: string, detach: boolean): void => {
        if (this.activeWatch?.watcher !== watcher) return;
        this.activeWatch = null;
        // After 'error' or 'end' the client has already dropped the watcher; after
        // 'disconnected' it would resubscribe on its own, which we do not want.
        if (detach) watcher.cancel().catch(() => undefined);
        resolve(reason);
      };
      this.activeWatch = { watcher, stop: (reason) => finish(reason, reason !== 'closed') };
      watcher.on('data', (response) => {
        if (this.activeWatch?.watcher !== watcher) return;
        if (this.options.onWatchResponse && !this.options.onWatchResponse(response)) return;
        this.applyWatchResponse(response, fromRevision);
      });
      watcher.on('disconnected', (error) => finish(`disconnected: ${error.message}`, true));
      watcher.on('error', (error) => finish(`error: ${error.message}`, false));
      watcher.on('end', () => finish('ended', false));
    });
  }

  private applyWatchResponse(response: IWatchResponse, fromRevision: number): void {
    const known = this.known as Map<string, number>;
    for (const event of response.events) {
      const revision = Number(event.kv.mod_revision);
      // The snapshot already holds everything up to fromRevision - 1.
      if (revision < fromRevision) continue;
      const key = event.kv.key.toString('utf8');
      let change: RouteChange;
      if (event.type === 'Put') {
        const value = event.kv.value.toString('utf8');
        change = { type: 'put', key, value };
        known.set(key, revision);
        this.values?.set(key, value);
      } else {
        change = { type: 'delete', key };
        known.delete(key);
        this.values?.delete(key);
      }
      this.options.sink.apply(change);
      this.changesApplied += 1;
      this.cacheDirty = true;
      this.advanceRevision(revision);
    }
    // An empty response is a progress notification: etcd promises nothing older is still coming.
    // (A response carrying events may come from a catch-up batch, whose header runs ahead.)
    if (response.events.length === 0) this.advanceRevision(Number(response.header.revision));
  }

  private advanceRevision(revision: number): void {
    if (this.revision === null || revision > this.revision) this.revision = revision;
    if (this.behind !== null && revision >= this.behind.revision) this.behind = null;
  }

  /**
   * Compares the table with etcd's current revision (see the header comment). Cheap when
   * nothing changed: one single-key read. Only a revision the watch has not reached after a
   * whole probe interval costs a range read, filtered by mod revision and limited to one key.
   */
  private async probe(): Promise<void> {
    if (this.probing || !this.connected || this.activeWatch === null || this.closed) return;
    this.probing = true;
    const watch = this.activeWatch;
    try {
      const deadline = Date.now() + this.requestTimeoutMs;
      const head = await this.client.kv.range({ key: this.prefixStart, keys_only: true }, { deadline });
      this.probeFailures = 0;
      const etcdRevision = Number(head.header.revision);
      this.etcdRevision = etcdRevision;
      const covered = Math.max(this.revision ?? 0, this.confirmedRevision);
      if (this.behind === null) {
        if (covered < etcdRevision) this.behind = { revision: etcdRevision, since: Date.now(), confirmed: false };
        return;
      }
      const target = this.behind.revision;
      const pending = await this.client.kv.range(
        { key: this.prefixStart, range_end: this.prefixEnd, revision: target, min_mod_revision: covered + 1, keys_only: true, limit: 1 },
        { deadline },
      );
      if (this.behind === null || this.behind.revision !== target) return; // the watch caught up meanwhile
      if (pending.kvs.length === 0) {
        // Nothing under the prefix changed between the table's revision and the target.
        this.confirmedRevision = Math.max(this.confirmedRevision, target);
        this.behind = null;
        return;
      }
      this.behind.confirmed = true;
      const lagMs = Date.now() - this.behind.since;
      const lostAfter = this.options.lostWatchAfterMs ?? 10_000;
      if (lagMs >= lostAfter && this.activeWatch === watch) {
        this.logger.warn({ revision: this.revision, etcdRevision, lagMs }, 'etcd watch is stuck behind etcd; resyncing');
        watch.stop(`watch lagged ${lagMs} ms behind etcd`);
      }
    } catch (error) {
      this.probeFailures += 1;
      if (this.probeFailures >= PROBE_FAILURES_BEFORE_RESYNC && this.activeWatch === watch && watch !== null) {
        this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'etcd probes failing; resyncing');
        watch.stop('etcd probes failing');
      }
    } finally {
      this.probing = false;
    }
  }

  private markOutOfSync(): void {
    if (this.connected) this.lastInSyncAt = Date.now();
    this.connected = false;
    this.behind = null;
  }

  private retryDelay(failedCycles: number): number {
    const { initial, max } = this.options.retryDelayMs ?? { initial: 100, max: 5000 };
    const delay = Math.min(max, initial * 2 ** Math.min(failedCycles - 1, 20));
    // Jitter, so that many router processes do not all knock at once when etcd comes back.
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  /** Waits `ms` before the next attempt; close() cuts the wait short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakeFromPause = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeFromPause = wake;
    });
  }
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i -= 1) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Snapshot keys as route entries, each value decoded only when the sink gets to it (and kept in `values`, if given). */
function* decoded(keys: readonly SnapshotKey[], values: Map<string, string> | null): Generator<RouteEntry> {
  for (const kv of keys) {
    const value = kv.raw.toString('utf8');
    values?.set(kv.key, value);
    yield { key: kv.key, value };
  }
}

function heapUsed(gc?: () => void): number {
  if (gc) gc();
  return process.memoryUsage().heapUsed;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
