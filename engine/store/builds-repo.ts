import type { Knex } from 'knex';
import type { Actor, Build, ProcessTypes } from '../model';
import { buildFromRow } from './rows';

export interface FinishedBuild {
  status: 'succeeded' | 'failed';
  image: string | null;
  digest: string | null;
  processTypes: ProcessTypes;
  log: string;
  durationMs: number;
  appJson?: string | null;
  imageSize?: number | null;
  sourceImage?: string | null;
  buildpacks?: readonly string[];
}

/** The columns of migration 004, which rows.ts's buildFromRow does not read. */
function buildExtras(row: Record<string, unknown>): Pick<Build, 'imageSize' | 'sourceImage' | 'buildpacks'> {
  const size = row.image_size;
  return {
    imageSize: size === null || size === undefined ? null : Number(size),
    sourceImage: row.source_image === null || row.source_image === undefined ? null : String(row.source_image),
    buildpacks: typeof row.buildpacks === 'string' ? (JSON.parse(row.buildpacks) as string[]) : [],
  };
}

export class BuildsRepo {
  constructor(private readonly db: Knex) {}

  /** Records a build in progress; `actor` is who caused it (null: the platform, or a caller that knows no user yet). */
  async start(id: string, appId: number, commit: string, now = new Date(), actor: Actor = null): Promise<void> {
    await this.db('builds').insert({
      id, app_id: appId, status: 'pending', commit, image: null, digest: null,
      process_types: '{}', log: '', duration_ms: null, created_at: now, created_by: actor?.name ?? null,
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
      image_size: result.imageSize ?? null,
      source_image: result.sourceImage ?? null,
      buildpacks: result.buildpacks && result.buildpacks.length > 0 ? JSON.stringify(result.buildpacks) : null,
    });
  }

  async get(id: string): Promise<Build | null> {
    const row = await this.db('builds').where({ id }).first();
    return row ? { ...buildFromRow(row), ...buildExtras(row) } : null;
  }

  async list(appId: number, limit = 50): Promise<Build[]> {
    const rows = await this.db('builds').where({ app_id: appId }).orderBy('created_at', 'desc').limit(limit);
    return rows.map((row) => ({ ...buildFromRow(row), ...buildExtras(row) }));
  }
}
