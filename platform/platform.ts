/**
 * The composition root of Slipway's control plane: engine + builder + API in one process.
 * Everything is created here, in order, and stopped in reverse; nothing starts at import time.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
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
import { IdentityService } from '../engine/identity-service';
import { EtcdPublisher } from '../engine/publisher';
import { ReleaseService } from '../engine/release-service';
import { AppsRepo } from '../engine/store/apps-repo';
import { BuildsRepo } from '../engine/store/builds-repo';
import { DomainsRepo } from '../engine/store/domains-repo';
import { openDatabase, type Database } from '../engine/store/database';
import { secretsOf } from '../engine/store/secret-columns';
import { secureStateDir } from '../lib/state-dir';
import { IdentityRepo } from '../engine/store/identity-repo';
import { ReleasesRepo } from '../engine/store/releases-repo';
import { DockerBuildCaches } from '../builder/build-caches';
import { createBuildSystem } from '../builder/build-system';
import { HookServer } from '../builder/hook-server';
import { PushHandler } from '../builder/push-handler';
import { GitRepositories } from '../builder/repositories';
import { SshGitServer } from '../builder/ssh-server';
import { factlessAccess } from '../engine/access-refusal';
import { addressesFrom, localUrl } from './addresses';
import { createLogging, type LogHub } from '../engine/logs';
import { ensureAdmin, ensureHostKey, resolveNpmRegistry } from './bootstrap';

export interface Platform {
  apiPort: number;
  sshPort: number;
  db: Database;
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
  const docker = new Docker({ socketPath: config.dockerSocket });
  const etcd = new Etcd3({ hosts: [...config.etcdUrls] });

  const appsRepo = new AppsRepo(db);
  const buildsRepo = new BuildsRepo(db);
  const releasesRepo = new ReleasesRepo(db);
  const identity = new IdentityService(new IdentityRepo(db));
  await ensureAdmin(config, identity);

  const driver = new DockerDriver(docker, platformId(config));
  // Log streams first: the collector follows every container from the start (docs/logs.md).
  const logging = createLogging(config, docker, platformId(config), db, appsRepo, logger.child({ part: 'logs' }));
  await logging.start();
  const publisher = new EtcdPublisher(etcd, config.etcdPrefix, secretsOf(db));
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
  releasePhaseStep(releaseTasks));
  reconciler = new Reconciler(appsRepo, releasesRepo, buildsRepo, driver, publisher, deployer, locks, CONTAINER_PORT, logger.child({ part: 'reconciler' }));
  const formation = new FormationService(appsRepo, releasesRepo, buildsRepo, driver, deployer, reconciler, logger.child({ part: 'formation' }));
  const repositories = new GitRepositories(path.join(config.stateDir, 'repos'), path.join(__dirname, '..', 'builder', 'pre-receive.js'));
  const caches = new DockerBuildCaches(docker, config.stackBuildImage, config.stackRunImage);
  let sshPort = config.sshPort;
  const addresses = addressesFrom(config, () => sshPort);
  const images = createImageJanitor(docker, config.registry, logger.child({ part: 'images' }));
  const apps = new AppsService(appsRepo, releasesRepo, repositories, caches, publisher, deployer, driver, addresses, logger.child({ part: 'apps' }),
    locks, work, appImagesOf(images, buildsRepo, config.registry));
  const releases = new ReleaseService(appsRepo, releasesRepo, buildsRepo, deployer, logger.child({ part: 'releases' }), locks, work);
  const configVars = new ConfigService(appsRepo, releases, logger.child({ part: 'config' }));
  const domains = new DomainsService(appsRepo, new DomainsRepo(db), publisher, config.domain, logger.child({ part: 'domains' }), undefined, locks);
  const maintenance = new MaintenanceService(appsRepo, new MaintenanceRepo(db), publisher, logger.child({ part: 'maintenance' }), locks);
  const renamer = new AppRenamer({
    apps: appsRepo, repositories, caches, locks, logger: logger.child({ part: 'rename' }),
    routes: { republish: async (app) => { await domains.republish(app); await maintenance.republish(app); } },
    converge: (app) => reconciler!.reconcile(app, { wait: true }),
    teardown: (app) => deployer.teardown(app),
  });
  const oneOffs = new OneOffService(appsRepo, releasesRepo, buildsRepo, oneOffRunner, {
    containerPort: CONTAINER_PORT, attachTimeoutMs: ATTACH_TIMEOUT_SECONDS * 1000,
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
  }, addresses.urlFor, logger.child({ part: 'deploy' }));
  const pushes = new PushHandler(deploys, buildSystem.pipeline, logger.child({ part: 'push' }));
  const hookSocket = path.join(config.stateDir, 'run', `hooks-${process.pid}.sock`);
  const hooks = new HookServer(hookSocket, pushes, logger.child({ part: 'hooks' }));
  await hooks.start();

  const ssh = new SshGitServer(
    { host: config.sshHost, port: config.sshPort, hostKey: ensureHostKey(config.stateDir), hookSocket },
    {
      // Until accounts carry roles (migration 006) the one user is the platform's admin.
      principalForKey: async (fingerprint, address) => {
        const user = await identity.userForFingerprint(fingerprint);
        return user === null ? null : { kind: 'user', userId: Number(user), userName: 'admin', platformAdmin: true, scope: 'admin', via: 'ssh-key', credential: fingerprint, address };
      },
    },
    {
      exists: (app) => appsRepo.find(app).then((a) => a !== null),
      repositoryPath: (app) => repositories.pathOf(app),
      pushQueued: (app) => { void deploys.supersede(app).catch((error) => logger.warn({ app, err: error }, 'could not tell the running push')); },
    },
    locks, hooks, logger.child({ part: 'ssh' }), factlessAccess, oneOffs,
  );
  await ssh.start();
  sshPort = ssh.port;

  // One way to identify callers and one policy, for every route and the attach protocol.
  const authenticate = tokenAuthenticator(identity);
  const access = factlessAccess;
  const api = createApi({
    authenticate, access,
    formation,
    apps, releases, builds: buildsRepo, renamer, config: configVars, identity, logger: logger.child({ part: 'api' }),
    info: { domain: config.domain, sshHost: config.publicHost, sshPort: ssh.port, version: '0.1.0' },
    run: { oneOffs, attachTimeoutSeconds: ATTACH_TIMEOUT_SECONDS },
    domains,
    maintenance,
    killer: new InstanceKiller(appsRepo, driver, publisher, { reconcile: (app, options) => reconciler?.reconcile(app, options) ?? Promise.resolve() }, config.stopGraceSeconds, logger.child({ part: 'ps' })),
    status: new PlatformStatus(statusProbes({
      db, etcd, docker, registry: config.registry, version: '0.1.0',
      routerAdminUrl: localUrl(config.routerAdminHost, config.routerAdminPort),
    })),
    buildpacks: { ...buildSystem.api, imageDeploys: { deploy: (app: string, image: unknown) => deploys.deployImage(app, image) } },
    registry: { registryInfo: () => images.registryInfo() },
    logs: { logs: logging.reader, drains: logging.drains },
  });
  const server: http.Server = await listen(api, config.apiHost, config.apiPort,
    attachUpgradeHandler({ authenticate, access, oneOffs, logger: logger.child({ part: 'run' }) }));
  const apiAddress = server.address();
  const apiPort = typeof apiAddress === 'object' && apiAddress ? apiAddress.port : config.apiPort;
  logger.info({ apiPort, sshPort: ssh.port }, 'slipway platform started');
  // Converge in the background: a restart must not wait for every app before serving the API.
  const firstReconcile = reconciler.start(config.reconcileIntervalMs);

  return {
    apiPort,
    sshPort: ssh.port,
    db,
    firstReconcile,
    logs: logging.hub,
    reconcile: () => reconciler!.reconcileAll(),
    async close() {
      await reconciler!.stop();
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
