/**
 * The add-on part of the composition root: repos, services, the API's dependencies and the two
 * loops (reconcile pass, backup schedules). platform/platform.ts creates it and starts/stops it.
 */
import path from 'node:path';
import type { Logger } from '../lib/log';
import { AddonsService } from '../engine/addons/addons-service';
import { BackupFiles } from '../engine/addons/backup-files';
import { BackupsService } from '../engine/addons/backups-service';
import type { AddonServers } from '../engine/addons/kinds';
import { LinksService } from '../engine/addons/links-service';
import { Periodic } from '../engine/addons/periodic';
import { configBindings, storedAppTeams, type AppTeams } from '../engine/addons/ports';
import { AddonsReconciler } from '../engine/addons/reconcile';
import { CredentialsRotation } from '../engine/addons/rotation';
import { BackupScheduler } from '../engine/addons/scheduler';
import type { ConfigService } from '../engine/config-service';
import type { LockService } from '../engine/locks';
import type { App } from '../engine/model';
import { AddonsRepo } from '../engine/store/addons-repo';
import type { AppsRepo } from '../engine/store/apps-repo';
import { BackupsRepo } from '../engine/store/backups-repo';
import type { Database } from '../engine/store/database';
import type { AddonRoutesDeps } from '../api/routes/addons';

export interface AddonsPartDeps {
  db: Database;
  apps: AppsRepo;
  config: ConfigService;
  /** The control plane's one lock service (a rotation waits for the attached apps' rollouts to finish). */
  locks: LockService;
  servers: AddonServers;
  stateDir: string;
  /** `http://<app's name on its team network>:<port>`: what `apps:link` binds. */
  internalUrl: (appName: string) => string;
  logger: Logger;
  /** The app → team function (issue 11); default: the app's stored team_id. */
  teams?: AppTeams;
}

export interface AddonsPart {
  routes: AddonRoutesDeps;
  /** For ConfigService: the config vars add-ons and links own on an app. */
  ownedKeys(app: App): Promise<Map<string, string>>;
  /** Fails backups a stopped Slipway left running, then starts the loops; settles after their first runs. */
  start(reconcileIntervalMs: number): Promise<void>;
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

/** Scheduled backups are looked for once a minute: `--at` has minute precision. */
const SCHEDULE_INTERVAL_MS = 60_000;

export function createAddonsPart(deps: AddonsPartDeps): AddonsPart {
  const repo = new AddonsRepo(deps.db);
  const backupsRepo = new BackupsRepo(deps.db);
  const teams = deps.teams ?? storedAppTeams(deps.db);
  const bindings = configBindings(deps.config, deps.locks);
  let backups: BackupsService | null = null;
  const addons = new AddonsService({
    repo, apps: deps.apps, servers: deps.servers, bindings, teams, logger: deps.logger.child({ part: 'addons' }),
    removeBackups: async (addon) => backups?.removeAll(addon),
  });
  backups = new BackupsService(addons, repo, backupsRepo, deps.servers, new BackupFiles(path.join(deps.stateDir, 'addon-backups')),
    deps.logger.child({ part: 'addon-backups' }));
  const rotation = new CredentialsRotation(addons, repo, deps.servers, deps.logger.child({ part: 'addons' }));
  const links = new LinksService(repo, deps.apps, addons, bindings, teams, deps.internalUrl);
  const reconciler = new AddonsReconciler(repo, addons, deps.servers, deps.logger.child({ part: 'addons-reconciler' }));
  const scheduler = new BackupScheduler(repo, backupsRepo, backups, deps.logger.child({ part: 'addon-backups' }));
  const reconcileLoop = new Periodic('addons-reconcile', () => reconciler.pass(), deps.logger);
  const scheduleLoop = new Periodic('addon-backup-schedules', () => scheduler.tick(new Date()), deps.logger);
  const backupsService = backups;

  return {
    routes: { addons, backups: backupsService, rotation, links },
    ownedKeys: (app) => addons.ownedKeys(app),
    async start(reconcileIntervalMs) {
      await backupsService.failUnfinished();
      await Promise.all([reconcileLoop.start(reconcileIntervalMs), scheduleLoop.start(SCHEDULE_INTERVAL_MS)]);
    },
    reconcile: () => reconcileLoop.runOnce(),
    async stop() {
      await Promise.all([reconcileLoop.stop(), scheduleLoop.stop()]);
    },
  };
}
