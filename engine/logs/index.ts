/**
 * The log streams' parts, made and started together (the platform's composition root calls
 * this): the store, the hub every source writes to, the Docker collector and the router spool reader.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/log';
import { ROUTER_SPOOL_DIR } from '../../lib/router-log-record';
import { DockerLogCollector } from './docker-collector';
import { LogHub } from './log-hub';
import { LogStore } from './log-store';
import { RouterSpoolReader } from './router-spool-reader';
import type { Database } from '../store/database';
import type { AppsRepo } from '../store/apps-repo';
import { DrainsRepo } from './drains/drains-repo';
import { DrainCursors } from './drains/drain-cursors';
import { DrainAddressGuard } from './drains/drain-guard';
import { DrainsService } from './drains/drains-service';
import { LogService } from './log-service';

export type { AppEvents } from './log-hub';
export { LogHub } from './log-hub';

export interface Logging {
  readonly hub: LogHub;
  readonly store: LogStore;
  /** Reading streams, for the API. */
  readonly reader: LogService;
  readonly drains: DrainsService;
  /** The app was destroyed: its history, followers and drain deliveries go. */
  forgetApp(app: string): Promise<void>;
  /** apps:rename, before the new name's instances start: history, followers and drains move. */
  renameApp(from: string, to: string): Promise<void>;
  /** apps:rename, once the old name's instances are gone: the old name is free, without history. */
  finishRename(from: string): Promise<void>;
  /** Follows containers and the router's spool; resolves once both are attached. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Every hour, segments past the age limit go, also for apps that stopped logging. */
const SWEEP_MS = 3600_000;

export function createLogging(config: Config, docker: Docker, platformId: string, db: Database, apps: AppsRepo, logger: Logger): Logging {
  const store = new LogStore(path.join(config.stateDir, 'logs', 'apps'),
    { maxLines: config.logMaxLines, maxAgeMs: config.logMaxAgeMs, maxBytes: config.logMaxBytes }, logger);
  const hub = new LogHub(store, { ratePerSecond: config.logRateLimit }, logger);
  const collector = new DockerLogCollector(docker, platformId, hub, store, logger.child({ part: 'log-collector' }));
  const spool = new RouterSpoolReader(path.join(config.stateDir, ...ROUTER_SPOOL_DIR), hub, (id) => collector.dynoOf(id), logger.child({ part: 'router-logs' }));
  const drains = new DrainsService(apps, new DrainsRepo(db), hub, { bufferLines: config.drainBufferLines, caFile: config.drainCaFile },
    new DrainAddressGuard(config.drainsAllowPrivate), new DrainCursors(path.join(config.stateDir, 'logs', 'drains')), logger.child({ part: 'drains' }));
  let sweeper: NodeJS.Timeout | null = null;
  return {
    hub,
    store,
    reader: new LogService(apps, hub),
    drains,
    async forgetApp(app) {
      await drains.forgetApp(app);
      await hub.forget(app);
    },
    async renameApp(from, to) {
      drains.renameApp(from, to);
      await hub.rename(from, to);
    },
    finishRename: (from) => hub.finishRename(from),
    async start() {
      await drains.start();
      await collector.start();
      await spool.start();
      sweeper = setInterval(() => { void store.sweep().catch((error: unknown) => logger.warn({ err: error }, 'could not sweep old log segments')); }, SWEEP_MS);
      sweeper.unref();
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      await spool.close();
      await collector.close();
      // After the collector: the drains' cursors are written with what they confirmed last.
      await drains.close();
      await store.close();
    },
  };
}
