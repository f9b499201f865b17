/**
 * The composition root of Slipway's control plane: engine + builder + API in one process.
 * Everything is created here, in order, and stopped in reverse; nothing starts at import time.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Etcd3 } from 'etcd3';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { createApi, listen } from '../api/server';
import { attachUpgradeHandler } from '../api/attach-server';
import { tokenAuthenticator } from '../api/auth';
import { AppsService } from '../engine/apps-service';
import { createImageJanitor } from '../engine/drivers/docker-images';
import { appImagesOf } from '../engine/image-janitor';
import { ConfigService } from '../engine/config-service';
import { AppRenamer } from '../engine/app-rename';
import { AppWork } from '../engine/app-work';
import { hostUsage } from '../engine/capacity';
import { Deployer } from '../engine/deployer';
import { DeployService, releasePhaseStep } from '../engine/deploy-service';
import { InProcessLocks } from '../engine/locks';
import { Reconciler } from '../engine/reconciler';
import { FormationService } from '../engine/formation-service';
import { DockerDriver } from '../engine/drivers/docker-driver';
import { DockerOneOff } from '../engine/drivers/docker-one-off';
import { DomainsService } from '../engine/domains-service';
import { MaintenanceService } from '../engine/maintenance-service';
import { PlatformStatus } from '../engine/platform-status';
import { InstanceKiller } from '../engine/instance-kill';
import { statusProbes } from './status-probes';
import { MaintenanceRepo } from '../engine/store/maintenance-repo';
import { OneOffService } from '../engine/one-off-service';
import { ReleaseTasks } from '../engine/release-phase';
import { createIdentityServices, type IdentityServices } from '../engine/identity-services';
import { EtcdPublisher } from '../engine/publisher';
import { ReleaseService } from '../engine/release-service';
import { AppsRepo } from '../engine/store/apps-repo';
import { BuildsRepo } from '../engine/store/builds-repo';
import { DomainsRepo } from '../engine/store/domains-repo';
import { openDatabase, type Database } from '../engine/store/database';
import { secretsOf } from '../engine/store/secret-columns';
import { secureStateDir } from '../lib/state-dir';
import { ReleasesRepo } from '../engine/store/releases-repo';
import { DockerBuildCaches } from '../builder/build-caches';
import { createBuildSystem } from '../builder/build-system';
import { HookServer } from '../builder/hook-server';
import { PushHandler } from '../builder/push-handler';
import { GitRepositories } from '../builder/repositories';
import { SshGitServer } from '../builder/ssh-server';
import { TeamsRepo } from '../engine/store/teams-repo';
import { ERROR_CODES, isSlipwayError } from '../lib/errors';
import { addressesFrom, localUrl } from './addresses';
import { createAddonServers } from './addon-servers';
import { createAddonsPart, type AddonsPart } from './addons';
import { createLogging, type LogHub } from '../engine/logs';
import { changeLine } from '../engine/logs/change-line';
import { ensureAdmin, ensureHostKey, resolveNpmRegistry } from './bootstrap';
import { createMetrics, meterDatabase, meterEtcd, meterWork } from './metrics';
import { DockerVolumes, VolumeOwnership } from '../engine/drivers/docker-volumes';
import { StorageService } from '../engine/storage/storage-service';
import { MountsRepo } from '../engine/store/mounts-repo';
import { PlatformMetrics } from '../engine/metrics/platform-metrics';
import { ChangeFeed } from '../engine/change-feed';
import { ConsoleSessions } from '../engine/console-sessions';
import { ConsoleSessionsRepo } from '../engine/store/console-sessions-repo';
import { watchRouteChanges } from './console-changes';
import { DeployTimeline } from '../engine/deploy-timeline';
import { DeploysRepo } from '../engine/store/deploys-repo';

export interface Platform {
  apiPort: number;
  sshPort: number;
  db: Database;
  /** Users, tokens, teams, collaborators and the audit log (engine/identity-services.ts). */
  accounts: IdentityServices;
  /** Settles when the start-up reconcile pass is done. */
  firstReconcile: Promise<void>;
  /** Every app's log stream; `logs.emit(app, text)` adds a platform event (engine/logs/log-hub.ts AppEvents). */
  logs: LogHub;
  /** Runs one reconcile pass over every app now. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

export const CONTAINER_PORT = 5000;
/** How long a one-off prepared by POST /apps/:app/dynos waits for its client to attach. */
const ATTACH_TIMEOUT_SECONDS = 60;

/** Names this installation in container labels: its state dir and etcd prefix make it unique on a host. */
export function platformId(config: Config): string {
  return crypto.createHash('sha256').update(`${config.stateDir}\n${config.etcdPrefix}`).digest('hex').slice(0, 12);
}

export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  secureStateDir(config.stateDir);
  const db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
  const metrics = new PlatformMetrics();
  meterDatabase(db, metrics);
  const docker = new Docker({ socketPath: config.dockerSocket });
  const etcd = new Etcd3({ hosts: [...config.etcdUrls] });

  const appsRepo = new AppsRepo(db);
  const buildsRepo = new BuildsRepo(db);
  const releasesRepo = new ReleasesRepo(db);
  const accounts = createIdentityServices(db);
  const identity = accounts.identity;
  const teamsRepo = new TeamsRepo(db);
  await ensureAdmin(config, identity);

  // Instances get the app's volumes, made writable by their user from the stack's run image (docs/storage.md).
  const driver = new DockerDriver(docker, platformId(config), undefined, undefined, undefined, new VolumeOwnership(docker, config.stackRunImage));
  const mountsRepo = new MountsRepo(db);
  let storage: StorageService | null = null;
  // Log streams first: the collector follows every container from the start (docs/logs.md).
  const logging = createLogging(config, docker, platformId(config), db, appsRepo, logger.child({ part: 'logs' }));
  await logging.start();
  const publisher = meterEtcd(new EtcdPublisher(etcd, config.etcdPrefix, secretsOf(db)), metrics);

  void publisher.resealCerts().catch((error: unknown) => logger.warn({ err: error }, 'could not re-seal the certificate values in etcd; they are re-sealed at the next start'));
  // The one lock service and the record of each app's running work, shared by every part below.
  const locks = new InProcessLocks();
  const work = new AppWork();
  const oneOffRunner = new DockerOneOff(docker, platformId(config));
  const releaseTasks = new ReleaseTasks(oneOffRunner, CONTAINER_PORT, logger.child({ part: 'release-phase' }));
  let reconciler: Reconciler | null = null;
  const deployer = new Deployer(driver, publisher, releasesRepo, locks, {
    bootTimeoutMs: config.bootTimeoutMs,
    stopGraceSeconds: config.stopGraceSeconds,
    containerPort: CONTAINER_PORT,
    logLines: 20,
    surge: config.deploySurge,
    maxUnavailable: config.deployMaxUnavailable,
    drainMs: config.drainMs,
    capacity: { reservedMemoryMb: config.reservedMemoryMb, cpuOvercommit: config.cpuOvercommit },
  }, logger.child({ part: 'deployer' }), (app) => { void reconciler?.reconcile(app); },
  // The deploy service's release-phase step: Dokku's predeploy, then the Procfile release command.
  releasePhaseStep(releaseTasks),
  { mountsOf: (app) => storage!.mountsOf(app) });
  reconciler = new Reconciler(appsRepo, releasesRepo, buildsRepo, driver, publisher, deployer, locks, CONTAINER_PORT, logger.child({ part: 'reconciler' }));
  meterWork(metrics, { builds: buildsRepo, deployer, reconciler });
  const formation = new FormationService(appsRepo, releasesRepo, buildsRepo, driver, deployer, reconciler, logger.child({ part: 'formation' }));
  const repositories = new GitRepositories(path.join(config.stateDir, 'repos'), path.join(__dirname, '..', 'builder', 'pre-receive.js'));
  const caches = new DockerBuildCaches(docker, config.stackBuildImage, config.stackRunImage);
  let sshPort = config.sshPort;
  const addresses = addressesFrom(config, () => sshPort);
  const images = createImageJanitor(docker, config.registry, logger.child({ part: 'images' }));
  const apps = new AppsService(appsRepo, releasesRepo, repositories, caches, publisher, deployer, driver, addresses, logger.child({ part: 'apps' }),
    locks, work, appImagesOf(images, buildsRepo, config.registry), { removeAppVolumes: (app) => storage!.removeAppVolumes(app) }, logging);
  // The console's change feed, told of every deploy phase as it moves (and of route changes below).
  const feed = new ChangeFeed();
  const timeline = new DeployTimeline({
    store: new DeploysRepo(db), announce: (app) => { feed.publish('app', app); }, logger: logger.child({ part: 'timeline' }),
  });
  const releases = new ReleaseService(appsRepo, releasesRepo, buildsRepo, deployer, logger.child({ part: 'releases' }), locks, work, logging.hub, timeline);
  storage = new StorageService(appsRepo, mountsRepo, releases, new DockerVolumes(docker, platformId(config)), locks, platformId(config),
    logger.child({ part: 'storage' }));
  let addons: AddonsPart | null = null;
  const configVars = new ConfigService(appsRepo, releases, logger.child({ part: 'config' }),
    (app) => addons?.ownedKeys(app) ?? Promise.resolve(new Map()));
  addons = createAddonsPart({
    db, apps: appsRepo, config: configVars, locks, servers: createAddonServers(docker, platformId(config)), stateDir: config.stateDir, logger,
    // Web processes answer on their team's network under the app's name (engine/drivers, issue 11).
    internalUrl: (app) => `http://${app}:${CONTAINER_PORT}`,
  });
  const domains = new DomainsService(appsRepo, new DomainsRepo(db), publisher, config.domain, logger.child({ part: 'domains' }), undefined, locks);
  const maintenance = new MaintenanceService(appsRepo, new MaintenanceRepo(db), publisher, logger.child({ part: 'maintenance' }), locks);
  const renamer = new AppRenamer({
    apps: appsRepo, repositories, caches, locks, logger: logger.child({ part: 'rename' }),
    routes: { republish: async (app) => { await domains.republish(app); await maintenance.republish(app); } },
    converge: (app) => reconciler!.reconcile(app, { wait: true }),
    teardown: (app) => deployer.teardown(app),
    logs: logging,
  });
  const oneOffs = new OneOffService(appsRepo, releasesRepo, buildsRepo, oneOffRunner, {
    containerPort: CONTAINER_PORT, attachTimeoutMs: ATTACH_TIMEOUT_SECONDS * 1000, addonClients: addons.routes.addons,
  }, logger.child({ part: 'run' }));

  // Repositories made by an earlier installation get the hook of this one.
  for (const app of await appsRepo.list()) if (await repositories.exists(app.name)) await repositories.installHook(app.name);

  const buildSystem = createBuildSystem({
    docker, db, config, apps: appsRepo, builds: buildsRepo, releases, caches,
    npmRegistry: resolveNpmRegistry(config), logger: logger.child({ part: 'builder' }),
    buildOutput: (app) => logging.hub.buildOutput(app),
  });
  const deploys = new DeployService(appsRepo, releases, work, {
    setup: buildSystem.firstBuildSetup,
    formation,
    commands: releaseTasks,
    images: buildSystem.imageImporter,
    timeline,
  }, addresses.urlFor, logger.child({ part: 'deploy' }));
  const pushes = new PushHandler(deploys, buildSystem.pipeline, logger.child({ part: 'push' }));
  const hookSocket = path.join(config.stateDir, 'run', `hooks-${process.pid}.sock`);
  const hooks = new HookServer(hookSocket, pushes, logger.child({ part: 'hooks' }));
  await hooks.start();

  const ssh = new SshGitServer(
    { host: config.sshHost, port: config.sshPort, hostKey: ensureHostKey(config.stateDir), hookSocket },
    {
      // Read fresh at every connection: a removed key or a disabled user stops at once.
      principalForKey: (fingerprint, address) => identity.authenticateKey(fingerprint, address).catch((error: unknown) => {
        if (isSlipwayError(error) && error.code === 'user_disabled') return { refusal: error.message };
        if (isSlipwayError(error) && ERROR_CODES[error.code] === 401) return null;
        throw error;
      }),
    },
    {
      exists: (app) => appsRepo.find(app).then((a) => a !== null),
      repositoryPath: (app) => repositories.pathOf(app),
      pushQueued: (app) => { void deploys.supersede(app).catch((error) => logger.warn({ app, err: error }, 'could not tell the running push')); },
    },
    locks, hooks, logger.child({ part: 'ssh' }), accounts.access, oneOffs,
    { record: async (record) => { await accounts.audit.recordChange(record); } },
  );
  await ssh.start();
  sshPort = ssh.port;

  // The web console: sign-in sessions and the change feed behind its live pages.
  const stopRouteChanges = await watchRouteChanges(etcd, config.etcdPrefix, feed, logger.child({ part: 'console' }));
  // One way to identify callers and one policy, for every route and the attach protocol.
  const authenticate = tokenAuthenticator(identity);
  const access = accounts.access;
  const api = createApi({
    authenticate,
    addons: addons.routes,
    console: { sessions: new ConsoleSessions(new ConsoleSessionsRepo(db)), login: identity, feed },
    formation,
    apps, releases, builds: buildsRepo, renamer, timeline, config: configVars, identity, logger: logger.child({ part: 'api' }),
    accounts: {
      teams: accounts.teams, appAccess: accounts.appAccess, audit: accounts.audit,
      // A transferred app's instances restart one by one onto the new team's network.
      moved: async (app) => {
        await formation.restart(app).catch((error: unknown) => {
          if (!(isSlipwayError(error) && error.code === 'no_release')) throw error;
        });
      },
    },
    tenancy: {
      visibleApps: (principal) => accounts.access.visibleApps(principal),
      teamForNewApp: (principal, team) => accounts.teams.teamForNewApp(principal, team),
      teamNames: async () => new Map((await teamsRepo.list(null)).map((team) => [team.id, team.name])),
      permissionsOn: (principal, app) => accounts.access.permissionsOn(principal, app),
    },
    // The policy with its facts, and the audit log (engine/access.ts, engine/audit.ts).
    access: accounts.access,
    audit: async (record) => {
      await accounts.audit.recordChange(record);
      // Changes to an app also appear in its log stream, as Heroku's `heroku[api]` lines do (keys, never values).
      if (record.app) logging.hub.emit(record.app, changeLine(record));
    },
    info: { domain: config.domain, sshHost: config.publicHost, sshPort: ssh.port, version: '0.1.0' },
    run: { oneOffs, attachTimeoutSeconds: ATTACH_TIMEOUT_SECONDS },
    domains,
    maintenance,
    killer: new InstanceKiller(appsRepo, driver, publisher, { reconcile: (app, options) => reconciler?.reconcile(app, options) ?? Promise.resolve() }, config.stopGraceSeconds, logger.child({ part: 'ps' })),
    capacity: {
      hosts: async () => {
        const [host, instances] = await Promise.all([driver.capacity(), driver.list()]);
        return [hostUsage(os.hostname(), host, instances, { reservedMemoryMb: config.reservedMemoryMb, cpuOvercommit: config.cpuOvercommit })];
      },
    },
    status: new PlatformStatus(statusProbes({
      db, etcd, docker, registry: config.registry, version: '0.1.0',
      routerAdminUrl: localUrl(config.routerAdminHost, config.routerAdminPort),
    })),
    buildpacks: { ...buildSystem.api, imageDeploys: { deploy: (app: string, image: unknown) => deploys.deployImage(app, image) } },
    registry: { registryInfo: () => images.registryInfo() },
    metrics: createMetrics({
      config, docker, platformId: platformId(config), logger: logger.child({ part: 'metrics' }), metrics,
      appExists: async (app) => { await appsRepo.get(app); },
    }),
    logs: { logs: logging.reader, drains: logging.drains },
    storage,
  });
  const server: http.Server = await listen(api, config.apiHost, config.apiPort,
    attachUpgradeHandler({ authenticate, access, oneOffs, logger: logger.child({ part: 'run' }) }));
  const apiAddress = server.address();
  const apiPort = typeof apiAddress === 'object' && apiAddress ? apiAddress.port : config.apiPort;
  logger.info({ apiPort, sshPort: ssh.port }, 'slipway platform started');
  // Converge in the background: a restart must not wait for every app before serving the API.
  const firstReconcile = Promise.all([reconciler.start(config.reconcileIntervalMs), addons.start(config.reconcileIntervalMs)]).then(() => undefined);

  return {
    apiPort,
    sshPort: ssh.port,
    db,
    accounts,
    firstReconcile,
    logs: logging.hub,
    reconcile: async () => { await reconciler!.reconcileAll(); await addons!.reconcile(); },
    async close() {
      await reconciler!.stop();
      await addons!.stop();
      await stopRouteChanges();
      feed.close(); // ends the console's event streams, which would keep the server from closing
      await oneOffs.close(); // attached one-offs end with their connections; detached ones keep running
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await ssh.close();
      await hooks.close();
      await logging.close();
      etcd.close();
      await db.destroy();
    },
  };
}
