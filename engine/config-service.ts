/**
 * Config vars (`slipway config`, `config:set`, `config:unset`), with Heroku's semantics: every
 * change that alters the config of a deployed app is a new release (its current build, the new
 * config) rolled out by the Deployer. An app that was never deployed only stores the config, for
 * its first build. Values are never logged, only keys.
 */
import type { Logger } from '../lib/log';
import { applyConfigChanges, assertConfigSize, configChangeDescription, parseConfigChanges, sameConfig, type ConfigChanges } from './config-vars';
import type { Progress } from './deployer';
import { SlipwayError } from '../lib/errors';
import type { Actor, App, ConfigVars, Release } from './model';
import { failedChange, type ReleaseService } from './release-service';
import type { AppsRepo } from './store/apps-repo';

export interface ConfigChangeResult {
  /** The app's config after the change. */
  config: ConfigVars;
  /** The release the change made, or null (never deployed, or nothing actually changed). */
  release: Release | null;
}

/**
 * The config vars of an app that something other than `config:set` owns (an add-on's attachment,
 * an app link), each with a sentence naming the owner and how to remove it.
 */
export type OwnedConfigKeys = (app: App) => Promise<ReadonlyMap<string, string>>;

export class ConfigService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleaseService,
    private readonly logger: Logger,
    private readonly owned: OwnedConfigKeys = async () => new Map(),
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
    return this.apply(appName, parseConfigChanges(body), null, progress, false, actor);
  }

  /**
   * Sets or unsets config vars that an add-on or a link owns (engine/addons/bindings.ts): the same
   * release and rollout as a config change, with its own description, and no ownership check.
   */
  async bind(appName: string, changes: ConfigChanges, description: string, progress?: Progress, actor: Actor = null): Promise<ConfigChangeResult> {
    return this.apply(appName, changes, description, progress, true, actor);
  }

  private async apply(appName: string, changes: ConfigChanges, description: string | null, progress?: Progress, owner = false, actor: Actor = null): Promise<ConfigChangeResult> {
    const keys = Object.keys(changes);
    return this.releases.exclusive(appName, async () => {
      const app = await this.apps.get(appName);
      if (!owner) await this.refuseOwned(app, keys);
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
        release = await this.releases.deployRelease(app, current.build, config, description ?? configChangeDescription(changes), progress, { actor });
      } catch (error) {
        this.logger.warn({ app: app.name, keys }, 'config change not applied: its release failed');
        throw failedChange(error, `Changing ${keys.join(', ')} failed`, app);
      }
      this.logger.info({ app: app.name, keys, release: release.version }, 'config vars changed');
      return { config, release };
    });
  }

  /** config:set and config:unset leave an add-on's (or a link's) variables alone: they point at what owns them. */
  private async refuseOwned(app: App, keys: readonly string[]): Promise<void> {
    const owned = await this.owned(app);
    const taken = keys.filter((key) => owned.has(key));
    if (taken.length === 0) return;
    throw new SlipwayError('config_var_owned', `${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} set by ${owned.get(taken[0]!)}, `
      + 'so config:set and config:unset cannot change it. Nothing was changed.');
  }
}
