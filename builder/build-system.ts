/**
 * Assembles the builder's parts for the platform (platform/platform.ts): the build pipeline with
 * its Dockerfile and buildpack builders, buildpacks per app, the first-deploy app.json setup,
 * the image importer, and what the API needs of them (image deploys are the engine's deploy
 * service's, wired in platform/platform.ts).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { AppSetupService } from '../engine/app-setup';
import { BuildpacksService } from '../engine/buildpacks-service';
import type { ReleaseService } from '../engine/release-service';
import type { AppsRepo } from '../engine/store/apps-repo';
import type { BuildsRepo } from '../engine/store/builds-repo';
import { BuildpacksRepo } from '../engine/store/buildpacks-repo';
import type { Database } from '../engine/store/database';
import type { DockerBuildCaches } from './build-caches';
import { BuildpackBuilder } from './buildpack-builder';
import { buildpackCheck } from './builtin-buildpacks';
import { DockerfileBuilder } from './dockerfile-builder';
import { ImageDeploys } from './image-deploy';
import { BuildPipeline } from './pipeline';

export interface BuildSystemDeps {
  docker: Docker;
  db: Database;
  config: Config;
  apps: AppsRepo;
  builds: BuildsRepo;
  releases: ReleaseService;
  caches: DockerBuildCaches;
  /** npm registry for Node.js builds (platform/bootstrap.ts resolveNpmRegistry). */
  npmRegistry: string | null;
  logger: Logger;
  /** Each build's output for the app's log stream (engine/logs/log-hub.ts). */
  buildOutput?: (app: string) => (text: string) => void;
}

export function createBuildSystem(deps: BuildSystemDeps) {
  const { docker, config, logger } = deps;
  const limits = { memoryMb: config.buildMemoryMb, cpus: config.buildCpus };
  const buildpacksRepo = new BuildpacksRepo(deps.db);
  const buildpackBuilder = new BuildpackBuilder(docker, {
    buildpacksDir: config.buildpacksDir,
    stackBuildImage: config.stackBuildImage,
    stackRunImage: config.stackRunImage,
    caBundle: config.buildCaBundle,
    npmRegistry: deps.npmRegistry,
    workRoot: path.join(config.stateDir, 'tmp'),
    limits,
  });
  const pipeline = new BuildPipeline(docker, deps.builds, new DockerfileBuilder(docker, limits), buildpackBuilder, buildpacksRepo,
    { registry: config.registry, timeoutMs: config.buildTimeoutMs }, logger, deps.buildOutput);
  const buildpacks = new BuildpacksService(deps.apps, buildpacksRepo, buildpackCheck(config.buildpacksDir), logger.child({ part: 'buildpacks' }));
  const firstBuildSetup = new AppSetupService(deps.apps, buildpacksRepo,
    (app, task) => deps.releases.exclusive(app, task), logger.child({ part: 'app-setup' }),
    async (appId) => (await deps.builds.list(appId, 1)).length > 0);
  const imageImporter = new ImageDeploys(docker, deps.apps, deps.builds, config.registry, logger.child({ part: 'image-deploy' }));
  return {
    pipeline,
    firstBuildSetup,
    imageImporter,
    /** BuildpackRoutesDeps of api/routes/buildpacks.ts, but for imageDeploys (the deploy service's). */
    api: {
      buildpacks,
      buildCaches: deps.caches,
      appExists: async (app: string): Promise<void> => { await deps.apps.get(app); },
    },
  };
}
