import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { Collaborator, Team, TeamMember } from '../model';
import type { AppPermission, TeamRole } from '../principal';
import { date } from './rows';

type Row = Record<string, unknown>;

export function teamFromRow(row: Row): Team {
  return {
    id: Number(row.id),
    name: String(row.name),
    personal: Boolean(Number(row.personal)),
    memberPermissions: JSON.parse(String(row.member_permissions)) as AppPermission[],
    createdAt: date(row.created_at),
  };
}

function memberFromRow(row: Row): TeamMember {
  return {
    teamId: Number(row.team_id), userId: Number(row.user_id), userName: String(row.user_name),
    role: String(row.role) as TeamRole, createdAt: date(row.created_at),
  };
}

function collaboratorFromRow(row: Row): Collaborator {
  return {
    appId: Number(row.app_id), userId: Number(row.user_id), userName: String(row.user_name),
    permissions: JSON.parse(String(row.permissions)) as AppPermission[], createdAt: date(row.created_at),
  };
}

/** A team seen by one user: the team and the user's role in it (null: not a member). */
export interface TeamWithRole extends Team {
  role: TeamRole | null;
}

/** What the policy needs to know about one app and one user (engine/access.ts). */
export interface AppAccessFacts {
  appId: number;
  appName: string;
  team: Team;
  role: TeamRole | null;
  collaborator: AppPermission[] | null;
}

/**
 * Teams, their members, the team of each app and the collaborators of each app. Built on the
 * database or on a transaction (services that audit a change give theirs).
 */
export class TeamsRepo {
  constructor(private readonly db: Knex) {}

  async create(name: string, personal: boolean, memberPermissions: readonly AppPermission[], now = new Date()): Promise<Team> {
    if (await this.db('teams').where({ name }).first('id')) {
      throw new SlipwayError('team_exists', `A team named "${name}" already exists. Pick another name.`);
    }
    const [id] = await this.db('teams').insert({ name, personal, member_permissions: JSON.stringify(memberPermissions), created_at: now });
    return { id: Number(id), name, personal, memberPermissions: [...memberPermissions], createdAt: now };
  }

  async find(name: string): Promise<Team | null> {
    const row = await this.db('teams').where({ name }).first();
    return row ? teamFromRow(row) : null;
  }

  async byId(id: number): Promise<Team | null> {
    const row = await this.db('teams').where({ id }).first();
    return row ? teamFromRow(row) : null;
  }

  async get(name: string): Promise<Team> {
    const team = await this.find(name);
    if (!team) throw new SlipwayError('team_not_found', `Couldn't find a team named "${name}". Run \`slipway teams\` to list yours.`);
    return team;
  }

  async setMemberPermissions(teamId: number, permissions: readonly AppPermission[]): Promise<void> {
    await this.db('teams').where({ id: teamId }).update({ member_permissions: JSON.stringify(permissions) });
  }

  /** Every team (null) or the teams `userId` belongs to, with that user's role, by name. */
  async list(userId: number | null): Promise<TeamWithRole[]> {
    if (userId === null) {
      const rows = await this.db('teams').orderBy('name');
      return rows.map((row: Row) => ({ ...teamFromRow(row), role: null }));
    }
    const rows = await this.db('teams').join('team_members', 'team_members.team_id', 'teams.id')
      .where('team_members.user_id', userId).orderBy('teams.name').select('teams.*', 'team_members.role as role');
    return rows.map((row: Row) => ({ ...teamFromRow(row), role: String(row.role) as TeamRole }));
  }

  /** The personal team of a user (made with the user). */
  async personalTeamOf(userId: number): Promise<Team | null> {
    const row = await this.db('teams').join('team_members', 'team_members.team_id', 'teams.id')
      .where({ 'team_members.user_id': userId, 'teams.personal': true, 'team_members.role': 'admin' })
      .orderBy('teams.id').first('teams.*');
    return row ? teamFromRow(row) : null;
  }

  async members(teamId: number): Promise<TeamMember[]> {
    const rows = await this.db('team_members').join('users', 'users.id', 'team_members.user_id')
      .where('team_members.team_id', teamId).orderBy('users.name').select('team_members.*', 'users.name as user_name');
    return rows.map(memberFromRow);
  }

  async roleOf(teamId: number, userId: number): Promise<TeamRole | null> {
    const row = await this.db('team_members').where({ team_id: teamId, user_id: userId }).first('role');
    return row ? (String(row.role) as TeamRole) : null;
  }

  /** Adds the user or changes their role. */
  async setMember(teamId: number, userId: number, role: TeamRole, now = new Date()): Promise<void> {
    const updated = await this.db('team_members').where({ team_id: teamId, user_id: userId }).update({ role });
    if (updated === 0) await this.db('team_members').insert({ team_id: teamId, user_id: userId, role, created_at: now });
  }

  async removeMember(teamId: number, userId: number): Promise<void> {
    await this.db('team_members').where({ team_id: teamId, user_id: userId }).delete();
  }

  async countAdmins(teamId: number): Promise<number> {
    const row = await this.db('team_members').where({ team_id: teamId, role: 'admin' }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** The names of the teams where the user is an admin (whose audit entries the user may read). */
  async adminTeamNames(userId: number): Promise<string[]> {
    const rows = await this.db('teams').join('team_members', 'team_members.team_id', 'teams.id')
      .where({ 'team_members.user_id': userId, 'team_members.role': 'admin' }).select('teams.name');
    return rows.map((row: Row) => String(row.name));
  }

  async appCount(teamId: number): Promise<number> {
    const row = await this.db('apps').where({ team_id: teamId }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async teamOfApp(appId: number): Promise<Team> {
    const row = await this.db('apps').join('teams', 'teams.id', 'apps.team_id').where('apps.id', appId).first('teams.*');
    if (!row) throw new SlipwayError('app_not_found', `The app (id ${appId}) does not exist any more.`);
    return teamFromRow(row);
  }

  async moveApp(appId: number, teamId: number): Promise<void> {
    await this.db('apps').where({ id: appId }).update({ team_id: teamId });
  }

  /**
   * Everything the policy needs about an app for one user, in one query: the app's team, the
   * user's role in it and the user's collaborator permissions. Null when there is no such app.
   */
  async accessFacts(appName: string, userId: number | null): Promise<AppAccessFacts | null> {
    const query = this.db('apps').join('teams', 'teams.id', 'apps.team_id').where('apps.name', appName);
    const columns: Array<string | Knex.Raw> = ['apps.id as app_id', 'apps.name as app_name', 'teams.*'];
    if (userId !== null) {
      query.leftJoin('team_members', (join) => {
        join.on('team_members.team_id', '=', 'teams.id').andOn('team_members.user_id', '=', this.db.raw('?', [userId]));
      }).leftJoin('app_access', (join) => {
        join.on('app_access.app_id', '=', 'apps.id').andOn('app_access.user_id', '=', this.db.raw('?', [userId]));
      });
      columns.push('team_members.role as member_role', 'app_access.permissions as collaborator_permissions');
    }
    const row = (await query.first(columns)) as Row | undefined;
    if (!row) return null;
    return {
      appId: Number(row.app_id),
      appName: String(row.app_name),
      team: teamFromRow(row),
      role: row.member_role === null || row.member_role === undefined ? null : (String(row.member_role) as TeamRole),
      collaborator: row.collaborator_permissions === null || row.collaborator_permissions === undefined
        ? null : (JSON.parse(String(row.collaborator_permissions)) as AppPermission[]),
    };
  }

  /**
   * The ids of the apps a user may see, in one query: the apps of the user's teams and the apps
   * the user collaborates on (every role and every collaborator may view).
   */
  async visibleAppIds(userId: number): Promise<number[]> {
    const rows = await this.db('apps').select('apps.id')
      .whereIn('apps.team_id', this.db('team_members').select('team_id').where({ user_id: userId }))
      .orWhereIn('apps.id', this.db('app_access').select('app_id').where({ user_id: userId }))
      .orderBy('apps.id');
    return rows.map((row: Row) => Number(row.id));
  }

  async collaborators(appId: number): Promise<Collaborator[]> {
    const rows = await this.db('app_access').join('users', 'users.id', 'app_access.user_id')
      .where('app_access.app_id', appId).orderBy('users.name').select('app_access.*', 'users.name as user_name');
    return rows.map(collaboratorFromRow);
  }

  async setCollaborator(appId: number, userId: number, permissions: readonly AppPermission[], now = new Date()): Promise<void> {
    const value = JSON.stringify(permissions);
    const updated = await this.db('app_access').where({ app_id: appId, user_id: userId }).update({ permissions: value });
    if (updated === 0) await this.db('app_access').insert({ app_id: appId, user_id: userId, permissions: value, created_at: now });
  }

  async removeCollaborator(appId: number, userId: number): Promise<boolean> {
    return (await this.db('app_access').where({ app_id: appId, user_id: userId }).delete()) > 0;
  }
}
