/**
 * What the add-on services need from the rest of the engine, as small ports: releasing an app's
 * owned config vars, and the team an app belongs to. platform/platform.ts gives the real ones;
 * tests give fakes that record.
 */
import type { Knex } from 'knex';
import type { ConfigChanges } from '../config-vars';
import type { ConfigService } from '../config-service';
import { withLock, type LockService } from '../locks';
import type { App } from '../model';

export interface AppBindings {
  /**
   * Sets (string) or unsets (null) config vars an add-on or a link owns, as one new release of the
   * app rolled out like a config change (zero downtime); resolves once it runs, with its version,
   * or null when nothing changed or the app was never deployed (then its first build gets them).
   */
  apply(appName: string, changes: ConfigChanges, description: string): Promise<number | null>;
  /**
   * Resolves once no instance of an older release of the app runs: `apply` answers as soon as the
   * new release serves, while the old instances still drain and stop (workers included), using the
   * config they started with. Credentials are revoked only after this.
   */
  settled(appName: string): Promise<void>;
}

/** `locks` is the control plane's one lock service: a rollout holds the app's `deploy` lock until its old instances stopped. */
export function configBindings(config: ConfigService, locks: LockService): AppBindings {
  return {
    async apply(appName, changes, description) {
      const result = await config.bind(appName, changes, description);
      return result.release?.version ?? null;
    },
    async settled(appName) {
      await withLock(locks, appName, 'deploy', async () => undefined);
    },
  };
}

export interface AppTeams {
  /** The team that owns the app (issue 11); add-ons belong to it and live on its network. */
  teamOf(app: App): Promise<number>;
}

/** Team 1 (the admin's) until apps carry a team (migration 006); then the app's own `team_id`. */
export const DEFAULT_TEAM_ID = 1;

export function storedAppTeams(db: Knex): AppTeams {
  return {
    async teamOf(app) {
      const row = (await db('apps').where({ id: app.id }).first()) as Record<string, unknown> | undefined;
      const team = row?.team_id;
      return team === undefined || team === null ? DEFAULT_TEAM_ID : Number(team);
    },
  };
}
