import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { ConfigVars, Release } from '../model';
import { releaseFromRow } from './rows';

export interface NewRelease {
  appId: number;
  buildId: string | null;
  config: ConfigVars;
  description: string;
}

export class ReleasesRepo {
  constructor(private readonly db: Knex) {}

  /**
   * Numbers releases v1, v2, … per app. The number is taken inside the insert's transaction and
   * guarded by the unique (app_id, version) index, so two concurrent creations cannot share a vN.
   */
  async create(release: NewRelease, now = new Date()): Promise<Release> {
    return this.db.transaction(async (trx) => {
      const row = await trx('releases').where({ app_id: release.appId }).max({ max: 'version' }).first();
      const version = nextVersion(row?.max as number | null | undefined);
      const [id] = await trx('releases').insert({
        app_id: release.appId, version, build_id: release.buildId,
        config: JSON.stringify(release.config), description: release.description,
        status: 'pending', failure_reason: null, created_at: now,
      });
      return { id: Number(id), appId: release.appId, version, buildId: release.buildId, config: release.config,
        description: release.description, status: 'pending', failureReason: null, createdAt: now };
    });
  }

  /** Marks a release live: its status and the app's current release change together. */
  async markSucceeded(release: Release): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('releases').where({ id: release.id }).update({ status: 'succeeded' });
      await trx('apps').where({ id: release.appId }).update({ current_release: release.version });
    });
  }

  async markFailed(release: Release, reason: string): Promise<void> {
    await this.db('releases').where({ id: release.id }).update({ status: 'failed', failure_reason: reason });
  }

  async get(appId: number, version: number): Promise<Release> {
    const row = await this.db('releases').where({ app_id: appId, version }).first();
    if (!row) throw new SlipwayError('release_not_found', `Release v${version} does not exist. Run \`slipway releases\` to list them.`);
    return releaseFromRow(row);
  }

  async list(appId: number, limit = 100): Promise<Release[]> {
    const rows = await this.db('releases').where({ app_id: appId }).orderBy('version', 'desc').limit(limit);
    return rows.map(releaseFromRow);
  }
}

export function nextVersion(currentMax: number | null | undefined): number {
  return (currentMax ?? 0) + 1;
}
