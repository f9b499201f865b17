/** Turns a finished build into release vN and rolls it out. */
import type { Logger } from '../lib/log';
import type { Deployer, Progress } from './deployer';
import { deployDescription, type App, type Build, type Release } from './model';
import type { AppsRepo } from './store/apps-repo';
import type { ReleasesRepo } from './store/releases-repo';

export class ReleaseService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly deployer: Deployer,
    private readonly logger: Logger,
  ) {}

  /** Creates release vN (the build + a snapshot of the config) and deploys it. Throws deploy_failed. */
  async releaseBuild(app: App, build: Build, progress: Progress): Promise<Release> {
    const current = await this.apps.get(app.name);
    const release = await this.releases.create({
      appId: app.id, buildId: build.id, config: current.config, description: deployDescription(build.commit),
    });
    this.logger.info({ app: app.name, release: release.version, build: build.id }, 'release created');
    const formation = await this.apps.formation(app.id);
    await this.deployer.deploy({ app: app.name, release, build, formation }, progress);
    return { ...release, status: 'succeeded' };
  }

  list(app: App): Promise<Release[]> {
    return this.releases.list(app.id);
  }
}
