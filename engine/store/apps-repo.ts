import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { DEFAULT_FORMATION, DEFAULT_MEMBER_PERMISSIONS, DEFAULT_SIZE, type App, type ConfigVars, type FormationEntry } from '../model';
import { DEFAULT_TEAM_NAME } from './migration-006';
import { appFromRow, formationFromRow } from './rows';
import { configContext, secretsOf } from './secret-columns';

export class AppsRepo {
  constructor(private readonly db: Knex) {}

  /** The config column is sealed (engine/store/secret-columns.ts). */
  private fromRow = (row: Record<string, unknown>): App =>
    appFromRow({ ...row, config: secretsOf(this.db).open(String(row.config), configContext(Number(row.id))) });

  /**
   * Creates an app owned by team `teamId`. Without one (callers from before teams), in the team
   * migration 006 gave every existing app: see defaultTeamId.
   */
  async create(name: string, now = new Date(), teamId?: number): Promise<App> {
    return this.db.transaction(async (trx) => {
      const existing = await trx('apps').where({ name }).first();
      if (existing) throw new SlipwayError('app_exists', `An app named "${name}" already exists. Pick another name.`);
      if (teamId === undefined) {
        teamId = await defaultTeamId(trx, now);
      } else if (!(await trx('teams').where({ id: teamId }).first('id'))) {
        throw new SlipwayError('team_not_found', `The team to create ${name} in (id ${teamId}) does not exist. Run \`slipway teams\` to list yours.`);
      }
      const [id] = await trx('apps').insert({ name, team_id: teamId, config: '', current_release: null, created_at: now });
      const appId = Number(id);
      // Sealed for the app's id, known once inserted.
      await trx('apps').where({ id: appId }).update({ config: secretsOf(this.db).seal('{}', configContext(appId)) });
      await trx('formation').insert(DEFAULT_FORMATION.map((f) => ({ app_id: appId, type: f.type, quantity: f.quantity, memory_mb: f.memoryMb, cpu: f.cpu })));
      return { id: appId, name, config: {}, currentRelease: null, createdAt: now, teamId };
    });
  }

  /** Gives the app a new name (apps:rename); a name another app has fails with app_exists. */
  async rename(appId: number, name: string): Promise<App> {
    return this.db.transaction(async (trx) => {
      if (await trx('apps').where({ name }).first()) {
        throw new SlipwayError('app_exists', `An app named "${name}" already exists. Pick another name.`);
      }
      await trx('apps').where({ id: appId }).update({ name });
      const row = await trx('apps').where({ id: appId }).first();
      if (!row) throw new SlipwayError('app_not_found', `The app to rename (id ${appId}) does not exist any more.`);
      return this.fromRow(row);
    });
  }

  async find(name: string): Promise<App | null> {
    const row = await this.db('apps').where({ name }).first();
    return row ? this.fromRow(row) : null;
  }

  async get(name: string): Promise<App> {
    const app = await this.find(name);
    if (!app) throw new SlipwayError('app_not_found', `Couldn't find an app named "${name}". Run \`slipway apps\` to list your apps.`);
    return app;
  }

  async list(): Promise<App[]> {
    const rows = await this.db('apps').orderBy('name');
    return rows.map(this.fromRow);
  }

  /**
   * The apps a user may view, by name, in one query: those of the user's teams (any role) and
   * those it collaborates on (engine/access.ts; the policy gives every role and collaborator view).
   */
  async listVisibleTo(userId: number): Promise<App[]> {
    const rows = await this.db('apps')
      .whereIn('team_id', this.db('team_members').select('team_id').where({ user_id: userId }))
      .orWhereIn('id', this.db('app_access').select('app_id').where({ user_id: userId }))
      .orderBy('name');
    return rows.map(this.fromRow);
  }

  async setConfig(appId: number, config: ConfigVars): Promise<void> {
    await this.db('apps').where({ id: appId }).update({ config: secretsOf(this.db).seal(JSON.stringify(config), configContext(appId)) });
  }

  async formation(appId: number): Promise<FormationEntry[]> {
    const rows = await this.db('formation').where({ app_id: appId }).orderBy('type');
    return rows.map(formationFromRow);
  }

  /** Creates or updates formation entries, all in one transaction. */
  async updateFormation(appId: number, changes: ReadonlyArray<Partial<FormationEntry> & { type: string }>): Promise<FormationEntry[]> {
    await this.db.transaction(async (trx) => {
      for (const change of changes) {
        const values = {
          ...(change.quantity === undefined ? {} : { quantity: change.quantity }),
          ...(change.memoryMb === undefined ? {} : { memory_mb: change.memoryMb }),
          ...(change.cpu === undefined ? {} : { cpu: change.cpu }),
        };
        const existing = await trx('formation').where({ app_id: appId, type: change.type }).first();
        if (existing) {
          if (Object.keys(values).length > 0) await trx('formation').where({ app_id: appId, type: change.type }).update(values);
        } else {
          await trx('formation').insert({
            app_id: appId, type: change.type, quantity: 0, memory_mb: DEFAULT_SIZE.memoryMb, cpu: DEFAULT_SIZE.cpu, ...values,
          });
        }
      }
    });
    return this.formation(appId);
  }

  /** Deletes the formation entries of these process types (types a build does not declare). */
  async removeFormation(appId: number, types: readonly string[]): Promise<FormationEntry[]> {
    if (types.length > 0) await this.db('formation').where({ app_id: appId }).whereIn('type', [...types]).delete();
    return this.formation(appId);
  }

  /** Deletes the app and, through foreign keys, its builds, releases and formation. */
  async delete(appId: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('formation').where({ app_id: appId }).delete();
      await trx('app_buildpacks').where({ app_id: appId }).delete();
      await trx('releases').where({ app_id: appId }).delete();
      await trx('builds').where({ app_id: appId }).delete();
      await trx('apps').where({ id: appId }).delete();
    });
  }
}

/**
 * The team apps go to when the caller names none, as migration 006 placed the apps it found: the
 * personal team of the first platform admin, or, on a database with no admin yet, the team
 * "default" (made here if missing), which the first admin is made admin of when created.
 */
export async function defaultTeamId(db: Knex, now = new Date()): Promise<number> {
  const row = await db('teams').join('team_members', 'team_members.team_id', 'teams.id')
    .join('users', 'users.id', 'team_members.user_id')
    .where({ 'users.platform_admin': true, 'teams.personal': true, 'team_members.role': 'admin' })
    .orderBy('users.id').orderBy('teams.id').first('teams.id');
  if (row) return Number(row.id);
  const fallback = await db('teams').where({ name: DEFAULT_TEAM_NAME }).first('id');
  if (fallback) return Number(fallback.id);
  const [id] = await db('teams').insert({ name: DEFAULT_TEAM_NAME, personal: false, member_permissions: JSON.stringify(DEFAULT_MEMBER_PERMISSIONS), created_at: now });
  return Number(id);
}
