/**
 * Teams and their members (issue 11 §3): create, list, add/set/remove members, the team a new
 * app goes to, and moving an app between teams. Whether the caller may do it is decided before
 * (engine/access.ts); these methods keep the invariants (a team always has an admin) and audit
 * each change in its transaction.
 */
import type { Knex } from 'knex';
import { SlipwayError } from '../lib/errors';
import { assertTeamName } from './account-names';
import type { AuditTrail } from './audit';
import { DEFAULT_MEMBER_PERMISSIONS, type Team, type TeamMember } from './model';
import type { AppPermission, Principal, TeamRole, UserPrincipal } from './principal';
import { IdentityRepo } from './store/identity-repo';
import { TeamsRepo, type TeamWithRole } from './store/teams-repo';

export const TEAM_ROLES: readonly TeamRole[] = Object.freeze(['admin', 'member', 'viewer']);
export const APP_PERMISSIONS: readonly AppPermission[] = Object.freeze(['view', 'deploy', 'operate', 'manage']);

export function parseRole(text: string): TeamRole {
  if ((TEAM_ROLES as readonly string[]).includes(text)) return text as TeamRole;
  throw new SlipwayError('invalid_request', `"${text.slice(0, 40)}" is not a team role: use admin, member or viewer.`);
}

/**
 * A list of permissions as given (`view,deploy`), checked, without repeats, in the canonical
 * order; view is always included (every other permission implies seeing the app).
 */
export function parsePermissions(list: readonly string[] | string): AppPermission[] {
  const given = (typeof list === 'string' ? list.split(',') : [...list]).map((p) => p.trim()).filter((p) => p !== '');
  for (const permission of given) {
    if (!(APP_PERMISSIONS as readonly string[]).includes(permission)) {
      throw new SlipwayError('invalid_permissions', `"${permission.slice(0, 40)}" is not a permission: use view, deploy, operate and manage, separated by commas.`);
    }
  }
  return APP_PERMISSIONS.filter((p) => p === 'view' || given.includes(p));
}

export class TeamsService {
  private readonly repo: TeamsRepo;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditTrail,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.repo = new TeamsRepo(db);
  }

  /** teams:create: the creator becomes its admin; members get `memberPermissions` (Heroku's default: view, deploy, operate). */
  async createTeam(principal: UserPrincipal, name: string, memberPermissions: readonly AppPermission[] = DEFAULT_MEMBER_PERMISSIONS): Promise<Team> {
    assertTeamName(name);
    const permissions = parsePermissions(memberPermissions);
    return this.db.transaction(async (trx) => {
      const teams = new TeamsRepo(trx);
      if (await new IdentityRepo(trx).userByName(name)) {
        throw new SlipwayError('team_exists', `"${name}" is a user's name, which their personal team has: pick another team name.`);
      }
      const team = await teams.create(name, false, permissions, this.clock());
      await teams.setMember(team.id, principal.userId, 'admin', this.clock());
      await this.audit.record({ principal, action: 'team:create', team: name, detail: { memberPermissions: permissions } }, trx);
      return team;
    });
  }

  /** `teams`: the principal's teams with its role; a platform admin sees every team (role null where not a member). */
  async teams(principal: Principal): Promise<TeamWithRole[]> {
    if (principal.kind === 'platform') return this.repo.list(null);
    const own = await this.repo.list(principal.userId);
    if (!principal.platformAdmin) return own;
    const roles = new Map(own.map((t) => [t.id, t.role]));
    return (await this.repo.list(null)).map((t) => ({ ...t, role: roles.get(t.id) ?? null }));
  }

  getTeam(name: string): Promise<Team> {
    return this.repo.get(name);
  }

  async members(teamName: string): Promise<TeamMember[]> {
    return this.repo.members((await this.repo.get(teamName)).id);
  }

  /** The team's default permissions for members (`teams:permissions`); view is always among them. */
  async setMemberPermissions(principal: Principal, teamName: string, permissions: readonly string[]): Promise<Team> {
    const parsed = parsePermissions(permissions);
    return this.db.transaction(async (trx) => {
      const teams = new TeamsRepo(trx);
      const team = await teams.get(teamName);
      await teams.setMemberPermissions(team.id, parsed);
      await this.audit.record({ principal, action: 'team:permissions', team: teamName, detail: { memberPermissions: parsed } }, trx);
      return { ...team, memberPermissions: parsed };
    });
  }

  /** members:add: a user not yet in the team. */
  async addMember(principal: Principal, teamName: string, userName: string, role: TeamRole): Promise<TeamMember> {
    return this.changeMember(principal, teamName, userName, 'members:add', async (teams, team, userId, current) => {
      if (current !== null) {
        throw new SlipwayError('member_exists', `${userName} is already a ${current} of ${teamName}: change the role with \`slipway members:set ${userName} --team ${teamName} --role ${role}\`.`);
      }
      await teams.setMember(team.id, userId, role, this.clock());
      return role;
    });
  }

  /** members:set: a member's new role; the last admin cannot stop being one. */
  async setMember(principal: Principal, teamName: string, userName: string, role: TeamRole): Promise<TeamMember> {
    return this.changeMember(principal, teamName, userName, 'members:set', async (teams, team, userId, current) => {
      if (current === null) throw notMember(userName, teamName);
      if (current === 'admin' && role !== 'admin' && (await teams.countAdmins(team.id)) <= 1) throw lastAdmin(userName, teamName);
      await teams.setMember(team.id, userId, role, this.clock());
      return role;
    });
  }

  /** members:remove: the last admin cannot be removed. */
  async removeMember(principal: Principal, teamName: string, userName: string): Promise<void> {
    await this.changeMember(principal, teamName, userName, 'members:remove', async (teams, team, userId, current) => {
      if (current === null) throw notMember(userName, teamName);
      if (current === 'admin' && (await teams.countAdmins(team.id)) <= 1) throw lastAdmin(userName, teamName);
      await teams.removeMember(team.id, userId);
      return current;
    });
  }

  private async changeMember(
    principal: Principal, teamName: string, userName: string, action: string,
    change: (teams: TeamsRepo, team: Team, userId: number, current: TeamRole | null) => Promise<TeamRole>,
  ): Promise<TeamMember> {
    return this.db.transaction(async (trx) => {
      const teams = new TeamsRepo(trx);
      const team = await teams.get(teamName);
      const user = await new IdentityRepo(trx).userByName(userName);
      if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${userName}". Ask a platform admin (\`slipway users\`).`);
      // Rows of the team's members, locked, so two changes cannot both remove "the other" admin.
      await trx('team_members').where({ team_id: team.id }).forUpdate().select('user_id');
      const current = await teams.roleOf(team.id, user.id);
      const role = await change(teams, team, user.id, current);
      await this.audit.record({ principal, action, team: teamName, detail: { user: userName, role } }, trx);
      return { teamId: team.id, userId: user.id, userName, role, createdAt: this.clock() };
    });
  }

  /**
   * The team a new app goes to: the one named (which must exist), or the principal's personal
   * team. The caller then checks `team:create-app` on it.
   */
  async teamForNewApp(principal: Principal, teamName?: string | null): Promise<Team> {
    if (teamName) return this.repo.get(teamName);
    if (principal.kind === 'platform') throw new SlipwayError('invalid_request', 'Name the team to create the app in.');
    const personal = await this.repo.personalTeamOf(principal.userId);
    if (!personal) throw new SlipwayError('team_not_found', 'You have no personal team: name the team to create the app in with --team.');
    return personal;
  }

  /** The team that owns an app (by id). */
  teamOfApp(appId: number): Promise<Team> {
    return this.repo.teamOfApp(appId);
  }

  /**
   * apps:transfer: moves an app to another team. The caller has checked `team:manage` on both
   * teams (admin of both, or platform admin). Collaborators stay; the new team's members get
   * their roles' access. Returns the teams before and after (the caller moves the app's network).
   */
  async transferApp(principal: Principal, appName: string, toTeamName: string): Promise<{ from: Team; to: Team }> {
    return this.db.transaction(async (trx) => {
      const teams = new TeamsRepo(trx);
      const app = await trx('apps').where({ name: appName }).forUpdate().first('id');
      if (!app) throw new SlipwayError('app_not_found', `Couldn't find an app named "${appName}". Run \`slipway apps\` to list your apps.`);
      const from = await teams.teamOfApp(Number(app.id));
      const to = await teams.get(toTeamName);
      if (from.id !== to.id) await teams.moveApp(Number(app.id), to.id);
      await this.audit.record({ principal, action: 'app:transfer', app: appName, team: to.name, detail: { from: from.name, to: to.name } }, trx);
      return { from, to };
    });
  }
}

function notMember(userName: string, teamName: string): SlipwayError {
  return new SlipwayError('member_not_found', `${userName} is not a member of ${teamName}. Run \`slipway members --team ${teamName}\` to list them.`);
}

function lastAdmin(userName: string, teamName: string): SlipwayError {
  return new SlipwayError('last_team_admin', `${userName} is the last admin of ${teamName}: make another member admin first (\`slipway members:set USER --team ${teamName} --role admin\`).`);
}
