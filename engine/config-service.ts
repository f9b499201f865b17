/**
 * Config vars (`slipway config`, `config:set`, `config:unset`), with Heroku's semantics: every
 * change that alters the config of a deployed app is a new release (its current build, the new
 * config) rolled out by the Deployer. An app that was never deployed only stores the config, for
 * its first build. Values are never logged, only keys.
 */
import type { Logger } from '../lib/log';
import { applyConfigChanges, assertConfigSize, configChangeDescription, parseConfigChanges, sameConfig } from './config-vars';
import type { Progress } from './deployer';
import type { Actor, ConfigVars, Release } from './model';
import { failedChange, type ReleaseService } from './release-service';
import type { AppsRepo } from './store/apps-repo';

export interface ConfigChangeResult {
  /** The app's config after the change. */
  config: ConfigVars;
  /** The release the change made, or null (never deployed, or nothing actually changed). */
  release: Release | null;
}

export class ConfigService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleaseService,
    private readonly logger: Logger,
  ) {}

  async get(appName: string): Promise<ConfigVars> {
    return (await this.apps.get(appName)).config;
  }

  /**
   * Applies `{"KEY": "value", "OTHER": null}` (null unsets). The body is checked whole before
   * anything is touched. Throws invalid_request (nothing changed) or deploy_failed (the failed
   * release is recorded; the config and the running release are unchanged).
   */
  async update(appName: string, body: unknown, progress?: Progress, actor: Actor = null): Promise<ConfigChangeResult> {
    const changes = parseConfigChanges(body);
    const keys = Object.keys(changes);
    return this.releases.exclusive(appName, async () => {
      const app = await this.apps.get(appName);
      const config = applyConfigChanges(app.config, changes);
      assertConfigSize(config, changes);
      if (sameConfig(config, app.config)) {
        this.logger.info({ app: app.name, keys }, 'config vars unchanged: no release');
        return { config: app.config, release: null };
      }
      const current = await this.releases.currentBuild(app);
      if (current === null) {
        await this.apps.setConfig(app.id, config);
        this.logger.info({ app: app.name, keys }, 'config vars stored for the first build');
        return { config, release: null };
      }
      let release: Release;
      try {
        release = await this.releases.deployRelease(app, current.build, config, configChangeDescription(changes), progress, { actor });
      } catch (error) {
        this.logger.warn({ app: app.name, keys }, 'config change not applied: its release failed');
        throw failedChange(error, `Changing ${keys.join(', ')} failed`, app);
      }
      this.logger.info({ app: app.name, keys, release: release.version }, 'config vars changed');
      return { config, release };
    });
  }
}
