/** The app_volumes table (migration 011): which volume each app mounts where (docs/storage.md). */
import type { Knex } from 'knex';

export interface StoredMount {
  id: number;
  appId: number;
  processType: string;
  path: string;
  volume: string;
  sizeMb: number | null;
  mounted: boolean;
  createdAt: Date;
}

export type NewMount = Omit<StoredMount, 'id'>;

function fromRow(row: Record<string, unknown>): StoredMount {
  return {
    id: Number(row.id), appId: Number(row.app_id), processType: String(row.process_type), path: String(row.path),
    volume: String(row.volume), sizeMb: row.size_mb === null || row.size_mb === undefined ? null : Number(row.size_mb),
    mounted: Boolean(row.mounted), createdAt: new Date(row.created_at as string | number | Date),
  };
}

export class MountsRepo {
  constructor(private readonly db: Knex) {}

  /** Every mount of the app, the kept (unmounted) ones too, by process type and path. */
  async list(appId: number): Promise<StoredMount[]> {
    const rows = await this.db('app_volumes').where({ app_id: appId }).orderBy([{ column: 'process_type' }, { column: 'path' }]);
    return rows.map(fromRow);
  }

  /** The mounts instances get: only the mounted ones, of the app named. One query, by the app's name. */
  async mountedOf(appName: string): Promise<StoredMount[]> {
    const rows = await this.db('app_volumes').join('apps', 'apps.id', 'app_volumes.app_id')
      .where({ 'apps.name': appName, 'app_volumes.mounted': true })
      .orderBy([{ column: 'app_volumes.process_type' }, { column: 'app_volumes.path' }])
      .select('app_volumes.*');
    return rows.map(fromRow);
  }

  async find(appId: number, processType: string, path: string): Promise<StoredMount | null> {
    const row = await this.db('app_volumes').where({ app_id: appId, process_type: processType, path }).first();
    return row ? fromRow(row) : null;
  }

  async insert(mount: NewMount): Promise<StoredMount> {
    const [id] = await this.db('app_volumes').insert({
      app_id: mount.appId, process_type: mount.processType, path: mount.path, volume: mount.volume,
      size_mb: mount.sizeMb, mounted: mount.mounted, created_at: mount.createdAt,
    });
    return { ...mount, id: Number(id) };
  }

  async setMounted(id: number, mounted: boolean, sizeMb?: number | null): Promise<void> {
    await this.db('app_volumes').where({ id }).update({ mounted, ...(sizeMb === undefined ? {} : { size_mb: sizeMb }) });
  }

  async delete(id: number): Promise<void> {
    await this.db('app_volumes').where({ id }).delete();
  }
}
