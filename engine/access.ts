/**
 * The policy with its facts (issue 11 §4): every transport asks `check(principal, request)`, which
 * loads what engine/policy.ts needs (the app's team, the principal's role there, the team's member
 * permissions, the principal's collaborator permissions, in one query) and applies it. A refusal
 * throws `forbidden` (403, naming the missing permission), `app_not_found` or `team_not_found`
 * (404, when the caller may not even know the resource exists), and is written to the audit log.
 */
import type { Knex } from 'knex';
import { SlipwayError } from '../lib/errors';
import type { AuditTrail } from './audit';
import type { App } from './model';
import { APP_PERMISSIONS, authorize, type AccessChecker, type AppPermission, type AccessFacts, type AccessRequest, type Decision, type Principal, type Refusal } from './policy';
import type { AppsRepo } from './store/apps-repo';
import { TeamsRepo } from './store/teams-repo';

export class AccessControl implements AccessChecker {
  private readonly teams: TeamsRepo;

  constructor(
    db: Knex,
    private readonly apps: Pick<AppsRepo, 'list' | 'listVisibleTo'>,
    private readonly audit: AuditTrail,
  ) {
    this.teams = new TeamsRepo(db);
  }

  /** Resolves when allowed; otherwise audits the refusal and throws (403 or 404). */
  async check(principal: Principal, request: AccessRequest): Promise<void> {
    const decision = await this.decide(principal, request);
    if (decision.allowed) return;
    await this.refuse(principal, request, decision);
  }

  /** The policy's answer without throwing or auditing (the console greys out what a user cannot do). */
  async decide(principal: Principal, request: AccessRequest): Promise<Decision> {
    // Platform principals and platform admins pass on the principal alone (after the token's scope).
    if (principal.kind === 'platform' || principal.platformAdmin) return authorize(principal, request, {});
    return authorize(principal, request, await this.facts(principal.userId, request));
  }

  /**
   * The permissions `principal` holds on an app as the policy grants them (its token's scope
   * included), for the console to show only what the caller may press; the API still decides
   * every request. The facts are loaded once for the four questions.
   */
  async permissionsOn(principal: Principal, appName: string): Promise<AppPermission[]> {
    const facts = principal.kind === 'platform' || principal.platformAdmin
      ? {}
      : await this.facts(principal.userId, { action: 'app:view', app: appName });
    return APP_PERMISSIONS.filter((p) => authorize(principal, { action: `app:${p}`, app: appName }, facts).allowed);
  }

  /**
   * apps:transfer: the app's manager and an admin of both teams (or a platform admin). Checked on
   * the app first, so a caller who cannot see it learns nothing about its team.
   */
  async checkTransfer(principal: Principal, appName: string, toTeam: string): Promise<void> {
    await this.check(principal, { action: 'app:manage', app: appName });
    const facts = await this.teams.accessFacts(appName, null);
    if (facts) await this.check(principal, { action: 'team:manage', team: facts.team.name });
    await this.check(principal, { action: 'team:manage', team: toTeam });
  }

  /**
   * The apps `principal` may view, by name, in one query: every app for the platform and platform
   * admins; otherwise the apps of the user's teams and those it collaborates on.
   */
  visibleApps(principal: Principal): Promise<App[]> {
    if (principal.kind === 'platform' || principal.platformAdmin) return this.apps.list();
    return this.apps.listVisibleTo(principal.userId);
  }

  private async facts(userId: number, request: AccessRequest): Promise<AccessFacts> {
    const facts: AccessFacts = {};
    if (request.action.startsWith('app:')) {
      const found = request.app === undefined ? null : await this.teams.accessFacts(request.app, userId);
      facts.app = found && {
        team: found.team.name,
        role: found.role,
        memberPermissions: found.team.memberPermissions,
        collaborator: found.collaborator ?? [],
      };
    }
    if (request.team !== undefined) {
      const team = await this.teams.find(request.team);
      facts.team = team && { role: await this.teams.roleOf(team.id, userId) };
    }
    return facts;
  }

  private async refuse(principal: Principal, request: AccessRequest, decision: Refusal): Promise<never> {
    const hidden = decision.reason !== 'forbidden';
    await this.audit.record({
      principal,
      action: request.action,
      app: request.app ?? null,
      // A 404 must not tell the caller (who reads their own entries) which team holds the app.
      team: hidden ? null : await this.teamOf(request),
      result: 'refused',
      detail: decision.reason === 'forbidden' ? { missing: decision.missing } : { reason: decision.reason },
    });
    const code = decision.reason === 'forbidden' ? 'forbidden' : decision.reason === 'unknown_team' ? 'team_not_found' : 'app_not_found';
    throw new SlipwayError(code, decision.message);
  }

  private async teamOf(request: AccessRequest): Promise<string | null> {
    if (request.team !== undefined) return request.team;
    if (request.app === undefined) return null;
    return (await this.teams.accessFacts(request.app, null))?.team.name ?? null;
  }
}
