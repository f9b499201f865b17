/**
 * The composition root of Slipway's control plane: engine + builder + API in one process.
 * Everything is created here, in order, and stopped in reverse; nothing starts at import time.
 */
import type http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import { Etcd3 } from 'etcd3';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { createApi, listen } from '../api/server';
import { AppsService } from '../engine/apps-service';
import { Deployer } from '../engine/deployer';
import { DockerDriver } from '../engine/drivers/docker-driver';
import { IdentityService } from '../engine/identity-service';
import { EtcdPublisher } from '../engine/publisher';
import { ReleaseService } from '../engine/release-service';
import { AppsRepo } from '../engine/store/apps-repo';
import { BuildsRepo } from '../engine/store/builds-repo';
import { openDatabase, type Database } from '../engine/store/database';
import { IdentityRepo } from '../engine/store/identity-repo';
import { ReleasesRepo } from '../engine/store/releases-repo';
import { AppLocks } from '../builder/app-lock';
import { DockerBuildCaches } from '../builder/build-caches';
import { BuildpackBuilder } from '../builder/buildpack-builder';
import { DockerfileBuilder } from '../builder/dockerfile-builder';
import { HookServer } from '../builder/hook-server';
import { BuildPipeline } from '../builder/pipeline';
import { PushHandler } from '../builder/push-handler';
import { GitRepositories } from '../builder/repositories';
import { SshGitServer } from '../builder/ssh-server';
import { addressesFrom } from './addresses';
import { ensureAdmin, ensureHostKey, resolveNpmRegistry, supportedBuilds } from './bootstrap';

export interface Platform {
  apiPort: number;
  sshPort: number;
  db: Database;
  close(): Promise<void>;
}

export const CONTAINER_PORT = 5000;

export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  const db = await openDatabase(config.databaseUrl);
  const docker = new Docker({ socketPath: config.dockerSocket });
  const etcd = new Etcd3({ hosts: [...config.etcdUrls] });

  const appsRepo = new AppsRepo(db);
  const buildsRepo = new BuildsRepo(db);
  const releasesRepo = new ReleasesRepo(db);
  const identity = new IdentityService(new IdentityRepo(db));
  await ensureAdmin(config, identity);

  const driver = new DockerDriver(docker);
  const publisher = new EtcdPublisher(etcd, config.etcdPrefix);
  const deployer = new Deployer(driver, publisher, releasesRepo, {
    bootTimeoutMs: config.bootTimeoutMs,
    stopGraceSeconds: config.stopGraceSeconds,
    containerPort: CONTAINER_PORT,
    logLines: 20,
  }, logger.child({ part: 'deployer' }));
  const repositories = new GitRepositories(path.join(config.stateDir, 'repos'), path.join(__dirname, '..', 'builder', 'pre-receive.js'));
  const caches = new DockerBuildCaches(docker);
  let sshPort = config.sshPort;
  const addresses = addressesFrom(config, () => sshPort);
  const apps = new AppsService(appsRepo, releasesRepo, repositories, caches, publisher, deployer, driver, addresses, logger.child({ part: 'apps' }));
  const releases = new ReleaseService(appsRepo, releasesRepo, deployer, logger.child({ part: 'releases' }));

  // Repositories made by an earlier installation get the hook of this one.
  for (const app of await appsRepo.list()) if (await repositories.exists(app.name)) await repositories.installHook(app.name);

  const pipeline = new BuildPipeline(docker, buildsRepo, new DockerfileBuilder(docker), new BuildpackBuilder(docker, {
    buildpacksDir: config.buildpacksDir,
    stackBuildImage: config.stackBuildImage,
    stackRunImage: config.stackRunImage,
    caBundle: config.buildCaBundle,
    npmRegistry: resolveNpmRegistry(config),
    supported: supportedBuilds(config.buildpacksDir),
  }), config.registry, logger.child({ part: 'builder' }));
  const pushes = new PushHandler(appsRepo, pipeline, releases, addresses.urlFor, logger.child({ part: 'push' }));
  const hookSocket = path.join(config.stateDir, 'run', `hooks-${process.pid}.sock`);
  const hooks = new HookServer(hookSocket, pushes, logger.child({ part: 'hooks' }));
  await hooks.start();

  const ssh = new SshGitServer(
    { host: config.sshHost, port: config.sshPort, hostKey: ensureHostKey(config.stateDir), hookSocket },
    { userForFingerprint: (fp) => identity.userForFingerprint(fp) },
    { exists: (app) => appsRepo.find(app).then((a) => a !== null), repositoryPath: (app) => repositories.pathOf(app) },
    new AppLocks(), hooks, logger.child({ part: 'ssh' }),
  );
  await ssh.start();
  sshPort = ssh.port;

  const api = createApi({
    apps, releases, builds: buildsRepo, identity, logger: logger.child({ part: 'api' }),
    info: { domain: config.domain, sshHost: config.publicHost, sshPort: ssh.port, version: '0.1.0' },
  });
  const server: http.Server = await listen(api, config.apiHost, config.apiPort);
  const apiAddress = server.address();
  const apiPort = typeof apiAddress === 'object' && apiAddress ? apiAddress.port : config.apiPort;
  logger.info({ apiPort, sshPort: ssh.port }, 'slipway platform started');

  return {
    apiPort,
    sshPort: ssh.port,
    db,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await ssh.close();
      await hooks.close();
      etcd.close();
      await db.destroy();
    },
  };
}
