/**
 * Feeds a RouteSink from etcd: a snapshot of `<prefix>/apps/` at revision R, then a watch from
 * R + 1, so no change is missed and none is applied twice. Whenever the watch breaks (etcd went
 * away, the stream ended, the start revision was compacted) the cycle starts over with a fresh
 * snapshot that replaces the whole table; until it succeeds, the sink keeps the last good table.
 *
 * We deliberately do not rely on the etcd3 client's own watch reconnection: it resumes from the
 * last response header's revision, which can skip events while a watcher catches up in batches.
 * A new snapshot on every reconnection is cheap and always correct.
 */
import { Etcd3, type IWatchResponse, type Watcher } from 'etcd3';
import { appsPrefix } from '../lib/etcd-keys';
import type { Logger } from '../lib/log';
import type { RouteChange } from './route-table';
import type { RouteSink, RouteSource, RouteSourceStatus } from './route-source';

export interface EtcdRouteSourceOptions {
  readonly urls: readonly string[];
  readonly prefix: string;
  readonly sink: RouteSink;
  readonly logger: Logger;
  /** Deadline of one snapshot read; past it the read counts as failed and is retried. */
  readonly requestTimeoutMs?: number;
  /** First and largest pause between failed sync attempts (doubling in between). */
  readonly retryDelayMs?: { readonly initial: number; readonly max: number };
  /**
   * Test seam: awaited after a snapshot is in the sink and before its watch starts, so a test
   * can change etcd exactly in that gap. Receives the snapshot revision.
   */
  readonly afterSnapshot?: (revision: number) => Promise<void>;
}

/** A watch that lived this long counts as a healthy cycle: the retry delay starts over. */
const HEALTHY_CYCLE_MS = 1000;
/** How long close() waits for etcd to confirm the watch cancellation. */
const CANCEL_TIMEOUT_MS = 2000;

export function startEtcdRouteSource(options: EtcdRouteSourceOptions): RouteSource {
  const source = new EtcdRouteSource(options);
  source.start();
  return source;
}

class EtcdRouteSource implements RouteSource {
  readonly firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private readonly client: Etcd3;
  private readonly logger: Logger;
  private closed = false;
  private closing: Promise<void> | null = null;
  private running: Promise<void> = Promise.resolve();
  private revision: number | null = null;
  private connected = false;
  private lastInSyncAt: number | null = null;
  /** The watch being followed, and how to end it early (on close). */
  private activeWatch: { watcher: Watcher; stop: () => void } | null = null;
  /** Ends the current pause between attempts early (on close). */
  private wakeFromPause: (() => void) | null = null;

  constructor(private readonly options: EtcdRouteSourceOptions) {
    this.logger = options.logger;
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve;
    });
    this.client = new Etcd3({ hosts: [...options.urls], dialTimeout: this.requestTimeoutMs });
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 5000;
  }

  start(): void {
    // run() catches everything itself; the catch here only guards against a bug in it.
    this.running = this.run().catch((error: unknown) => {
      this.logger.error({ err: error }, 'etcd route source stopped unexpectedly');
    });
  }

  status(): RouteSourceStatus {
    return {
      revision: this.revision,
      connected: this.connected,
      lastInSyncAt: this.connected ? Date.now() : this.lastInSyncAt,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.wakeFromPause?.();
    const watch = this.activeWatch;
    if (watch) {
      watch.stop();
      // The client must not be closed with a watcher still attached: it would keep reconnecting.
      await withTimeout(watch.watcher.cancel(), CANCEL_TIMEOUT_MS).catch(() => undefined);
    }
    await this.running;
    this.client.close();
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

  private async loadSnapshot(): Promise<number> {
    const response = await this.client
      .getAll()
      .prefix(appsPrefix(this.options.prefix))
      .options({ deadline: Date.now() + this.requestTimeoutMs })
      .exec();
    const revision = Number(response.header.revision);
    this.options.sink.reset(
      response.kvs.map((kv) => ({ key: kv.key.toString('utf8'), value: kv.value.toString('utf8') })),
    );
    this.revision = revision;
    this.connected = true;
    this.logger.info({ revision, keys: response.kvs.length }, 'loaded routes snapshot from etcd');
    this.resolveFirstSync();
    return revision;
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
      this.activeWatch = { watcher, stop: () => finish('closed', false) };
      watcher.on('data', (response) => {
        if (this.activeWatch?.watcher === watcher) this.applyWatchResponse(response, fromRevision);
      });
      watcher.on('disconnected', (error) => finish(`disconnected: ${error.message}`, true));
      watcher.on('error', (error) => finish(`error: ${error.message}`, false));
      watcher.on('end', () => finish('ended', false));
    });
  }

  private applyWatchResponse(response: IWatchResponse, fromRevision: number): void {
    for (const event of response.events) {
      const revision = Number(event.kv.mod_revision);
      // The snapshot already holds everything up to fromRevision - 1.
      if (revision < fromRevision) continue;
      const key = event.kv.key.toString('utf8');
      const change: RouteChange =
        event.type === 'Put' ? { type: 'put', key, value: event.kv.value.toString('utf8') } : { type: 'delete', key };
      this.options.sink.apply(change);
      this.advanceRevision(revision);
    }
    // An empty response is a progress notification: etcd promises nothing older is still coming.
    // (A response carrying events may come from a catch-up batch, whose header runs ahead.)
    if (response.events.length === 0) this.advanceRevision(Number(response.header.revision));
  }

  private advanceRevision(revision: number): void {
    if (this.revision === null || revision > this.revision) this.revision = revision;
  }

  private markOutOfSync(): void {
    if (this.connected) this.lastInSyncAt = Date.now();
    this.connected = false;
  }

  private retryDelay(failedCycles: number): number {
    const { initial, max } = this.options.retryDelayMs ?? { initial: 100, max: 5000 };
    return Math.min(max, initial * 2 ** Math.min(failedCycles - 1, 20));
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
