import type { Knex } from 'knex';
import type { Build, ProcessTypes } from '../model';
import { buildFromRow } from './rows';

export interface FinishedBuild {
  status: 'succeeded' | 'failed';
  image: string | null;
  digest: string | null;
  processTypes: ProcessTypes;
  log: string;
  durationMs: number;
  appJson?: string | null;
}

export class BuildsRepo {
  constructor(private readonly db: Knex) {}

  async start(id: string, appId: number, commit: string, now = new Date()): Promise<void> {
    await this.db('builds').insert({
      id, app_id: appId, status: 'pending', commit, image: null, digest: null,
      process_types: '{}', log: '', duration_ms: null, created_at: now,
    });
  }

  async finish(id: string, result: FinishedBuild): Promise<void> {
    await this.db('builds').where({ id }).update({
      status: result.status,
      image: result.image,
      digest: result.digest,
      process_types: JSON.stringify(result.processTypes),
      log: result.log,
      duration_ms: result.durationMs,
      app_json: result.appJson ?? null,
    });
  }

  async get(id: string): Promise<Build | null> {
    const row = await this.db('builds').where({ id }).first();
    return row ? buildFromRow(row) : null;
  }

  async list(appId: number, limit = 50): Promise<Build[]> {
    const rows = await this.db('builds').where({ app_id: appId }).orderBy('created_at', 'desc').limit(limit);
    return rows.map(buildFromRow);
  }
}
