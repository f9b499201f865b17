import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { Actor, ConfigVars, Release } from '../model';
import { releaseFromRow } from './rows';
import { configContext, secretsOf } from './secret-columns';

export interface NewRelease {
  appId: number;
  buildId: string | null;
  config: ConfigVars;
  description: string;
  /** Who caused it; null or absent: the platform. Recorded as the user's name at the time. */
  actor?: Actor;
}

export class ReleasesRepo {
  constructor(private readonly db: Knex) {}

  /** The config snapshot is sealed (engine/store/secret-columns.ts). */
  private fromRow = (row: Record<string, unknown>): Release =>
    releaseFromRow({ ...row, config: secretsOf(this.db).open(String(row.config), configContext(Number(row.app_id))) });

  /**
   * Numbers releases v1, v2, … per app. The number is taken inside the insert's transaction and
   * guarded by the unique (app_id, version) index, so two concurrent creations cannot share a vN.
   */
  async create(release: NewRelease, now = new Date()): Promise<Release> {
    return this.db.transaction(async (trx) => {
      // The app's row, locked until commit, orders concurrent creations: without it, MySQL's
      // (repeatable-read) transactions read the same max and the second insert breaks the unique
      // index. SQLite has no FOR UPDATE (knex leaves it out) and serialises write transactions anyway.
      await trx('apps').where({ id: release.appId }).forUpdate().first('id');
      const row = await trx('releases').where({ app_id: release.appId }).max({ max: 'version' }).first();
      const version = nextVersion(row?.max as number | null | undefined);
      const [id] = await trx('releases').insert({
        app_id: release.appId, version, build_id: release.buildId,
        config: secretsOf(this.db).seal(JSON.stringify(release.config), configContext(release.appId)), description: release.description,
        status: 'pending', failure_reason: null, created_at: now, created_by: release.actor?.name ?? null,
      });
      return { id: Number(id), appId: release.appId, version, buildId: release.buildId, config: release.config,
        description: release.description, status: 'pending', failureReason: null, createdAt: now, createdBy: release.actor?.name ?? null };
    });
  }

  /**
   * Marks a release live: its status, the app's current release and the app's config (the
   * release's snapshot, so a config change or rollback takes effect only once live) change together.
   */
  async markSucceeded(release: Release): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('releases').where({ id: release.id }).update({ status: 'succeeded' });
      const row = await trx('releases').where({ id: release.id }).first('config');
      const live: Record<string, unknown> = { current_release: release.version };
      if (row) live.config = row.config;
      await trx('apps').where({ id: release.appId }).update(live);
    });
  }

  async markFailed(release: Release, reason: string): Promise<void> {
    await this.db('releases').where({ id: release.id }).update({ status: 'failed', failure_reason: reason });
  }

  async get(appId: number, version: number): Promise<Release> {
    const row = await this.db('releases').where({ app_id: appId, version }).first();
    if (!row) throw new SlipwayError('release_not_found', `Release v${version} does not exist. Run \`slipway releases\` to list them.`);
    return this.fromRow(row);
  }

  /** Releases still being deployed (or cut short by a crash). */
  async pending(appId: number): Promise<Release[]> {
    const rows = await this.db('releases').where({ app_id: appId, status: 'pending' }).orderBy('version');
    return rows.map(this.fromRow);
  }

  async list(appId: number, limit = 100): Promise<Release[]> {
    const rows = await this.db('releases').where({ app_id: appId }).orderBy('version', 'desc').limit(limit);
    return rows.map(this.fromRow);
  }
}

export function nextVersion(currentMax: number | null | undefined): number {
  return (currentMax ?? 0) + 1;
}
