/**
 * Rolls a release out: start the new instances beside the old, wait until web answers on $PORT,
 * publish the new backends, withdraw the old ones, then stop them. A failure at any point before
 * publishing removes what was started and leaves the previous release serving.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Build, FormationEntry, Release } from './model';
import { waitUntilServing } from './health';
import type { RoutePublisher } from './publisher';
import type { Instance, InstanceSpec, RuntimeDriver } from './runtime-driver';
import type { ReleasesRepo } from './store/releases-repo';

export type Progress = (line: string) => void;

export interface DeployerOptions {
  bootTimeoutMs: number;
  stopGraceSeconds: number;
  /** Port inside the container that web processes listen on ($PORT). */
  containerPort: number;
  /** Lines of the failing instance's log quoted in the failure reason. */
  logLines: number;
}

export interface DeployRequest {
  app: string;
  release: Release;
  build: Build;
  formation: readonly FormationEntry[];
}

export class Deployer {
  constructor(
    private readonly driver: RuntimeDriver,
    private readonly publisher: RoutePublisher,
    private readonly releases: ReleasesRepo,
    private readonly options: DeployerOptions,
    private readonly logger: Logger,
  ) {}

  async deploy(request: DeployRequest, progress: Progress): Promise<void> {
    const { app, release } = request;
    const previous = await this.driver.list(app);
    const specs = instanceSpecs(request, this.options.containerPort);
    const started: Instance[] = [];
    try {
      for (const spec of specs) {
        progress(`Starting ${spec.process} process of v${release.version}`);
        const instance = await this.driver.start(spec);
        started.push(instance);
        if (spec.process === 'web') await this.waitForWeb(instance);
      }
    } catch (error) {
      const reason = error instanceof SlipwayError ? error.message : `could not start the release: ${String(error)}`;
      await Promise.all(started.map((i) => this.driver.stop(i.id, 0)));
      await this.releases.markFailed(release, reason);
      this.logger.warn({ app, release: release.version, reason: firstLine(reason) }, 'deploy failed');
      throw new SlipwayError('deploy_failed', reason, { cause: error });
    }

    for (const instance of started) {
      if (instance.process === 'web' && instance.url) {
        await this.publisher.publishBackend(app, instance.id, { url: instance.url, release: release.version, process: 'web' });
      }
    }
    await this.releases.markSucceeded(release);
    // Withdraw before stopping, so the router sends no new request to an instance on its way out.
    for (const old of previous) await this.publisher.withdrawBackend(app, old.id);
    await Promise.all(previous.map((old) => this.driver.stop(old.id, this.options.stopGraceSeconds)));
    this.logger.info({ app, release: release.version, instances: started.length }, 'release deployed');
  }

  /** Removes every instance and route of an app (used when the app is destroyed). */
  async teardown(app: string): Promise<void> {
    await this.publisher.removeApp(app);
    const instances = await this.driver.list(app);
    await Promise.all(instances.map((i) => this.driver.stop(i.id, 0)));
  }

  private async waitForWeb(instance: Instance): Promise<void> {
    if (!instance.url) throw new SlipwayError('deploy_failed', 'web process has no published port');
    const result = await waitUntilServing(instance.url, this.options.bootTimeoutMs, {
      stillAlive: async () => {
        const now = await this.driver.inspect(instance.id);
        if (!now) return 'web process disappeared while starting';
        if (now.state === 'crashed' || now.state === 'exited' || now.restartCount > 0) return 'web process exited while starting';
        return null;
      },
    });
    if (!result.ok) {
      const logs = (await this.driver.logs(instance.id, this.options.logLines)).trimEnd();
      const tail = logs ? `\nLast lines of its log:\n${logs}` : '\nIt wrote nothing to its log.';
      throw new SlipwayError('deploy_failed', `${result.reason}${tail}`);
    }
  }
}

/** The instances a release needs: formation × process types, each with the release's config. */
export function instanceSpecs(request: DeployRequest, containerPort: number): InstanceSpec[] {
  const { app, release, build, formation } = request;
  const image = build.image;
  if (!image) throw new SlipwayError('deploy_failed', `build ${build.id} has no image`);
  const specs: InstanceSpec[] = [];
  for (const { type, quantity } of formation) {
    const command = build.processTypes[type] ?? null;
    // A Dockerfile app without a Procfile still has a web process: the image's own CMD.
    if (command === null && !(type === 'web' && Object.keys(build.processTypes).length === 0)) continue;
    for (let n = 0; n < quantity; n += 1) {
      specs.push({
        app, release: release.version, process: type, image, command,
        env: { ...release.config, SLIPWAY_RELEASE: `v${release.version}`, DYNO: `${type}.${n + 1}` },
        port: containerPort,
      });
    }
  }
  return specs;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
