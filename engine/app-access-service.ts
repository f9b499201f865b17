/**
 * Collaborators (issue 11 §3, Heroku's `access`): users outside an app's team given permissions
 * on that one app. Whether the caller may change them (`app:manage`) is decided before, by
 * engine/access.ts; each change is audited in its transaction.
 */
import type { Knex } from 'knex';
import { SlipwayError } from '../lib/errors';
import type { AuditTrail } from './audit';
import type { Collaborator } from './model';
import type { Principal } from './principal';
import { IdentityRepo } from './store/identity-repo';
import { TeamsRepo } from './store/teams-repo';
import { parsePermissions } from './teams-service';

export class AppAccessService {
  private readonly teams: TeamsRepo;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditTrail,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.teams = new TeamsRepo(db);
  }

  /** `access APP`: the app's collaborators (the team's members are listed by `members`). */
  async collaborators(appName: string): Promise<Collaborator[]> {
    return this.teams.collaborators(await appId(this.db, appName));
  }

  /** access:add (and access:update): gives `userName` these permissions on the app; view is always included. */
  async addCollaborator(principal: Principal, appName: string, userName: string, permissions: readonly string[] | string): Promise<Collaborator> {
    const parsed = parsePermissions(permissions);
    return this.db.transaction(async (trx) => {
      const id = await appId(trx, appName);
      const user = await new IdentityRepo(trx).userByName(userName);
      if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${userName}". Ask a platform admin (\`slipway users\`).`);
      const team = await new TeamsRepo(trx).teamOfApp(id);
      await new TeamsRepo(trx).setCollaborator(id, user.id, parsed, this.clock());
      await this.audit.record({ principal, action: 'access:add', app: appName, team: team.name, detail: { user: userName, permissions: parsed } }, trx);
      return { appId: id, userId: user.id, userName, permissions: parsed, createdAt: this.clock() };
    });
  }

  /** access:remove. */
  async removeCollaborator(principal: Principal, appName: string, userName: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const id = await appId(trx, appName);
      const user = await new IdentityRepo(trx).userByName(userName);
      const teams = new TeamsRepo(trx);
      if (!user || !(await teams.removeCollaborator(id, user.id))) {
        throw new SlipwayError('collaborator_not_found', `${userName} is not a collaborator on ${appName}. Run \`slipway access -a ${appName}\` to list them.`);
      }
      const team = await teams.teamOfApp(id);
      await this.audit.record({ principal, action: 'access:remove', app: appName, team: team.name, detail: { user: userName } }, trx);
    });
  }
}

async function appId(db: Knex, appName: string): Promise<number> {
  const row = await db('apps').where({ name: appName }).first('id');
  if (!row) throw new SlipwayError('app_not_found', `Couldn't find an app named "${appName}". Run \`slipway apps\` to list your apps.`);
  return Number(row.id);
}
