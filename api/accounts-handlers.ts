/**
 * What the accounts routes do once the route table has validated the input and the policy has
 * allowed it: call a service, shape the answer. Thin on purpose (no HTTP here): the route table
 * (api/route-table.ts) declares the method, path, schemas, access rule and audit name of each.
 */
import { SlipwayError } from '../lib/errors';
import { parseDuration } from '../lib/duration';
import type { AppAccessService } from '../engine/app-access-service';
import type { AuditFilter, AuditTrail } from '../engine/audit';
import type { IdentityService } from '../engine/identity-service';
import type { App } from '../engine/model';
import type { Principal, UserPrincipal } from '../engine/principal';
import type { TeamsService } from '../engine/teams-service';
import { auditJson, memberJson, teamJson, tokenJson, userJson } from './accounts-json';

type Permission = 'view' | 'deploy' | 'operate' | 'manage';
const ALL: readonly Permission[] = ['view', 'deploy', 'operate', 'manage'];

export interface AccountsDeps {
  identity: IdentityService;
  teams: TeamsService;
  appAccess: AppAccessService;
  audit: AuditTrail;
  apps: { get(name: string): Promise<App> };
  clock?: () => Date;
  /** After a transfer: the app's instances move to the new team's network (a rolling restart). */
  moved?: (app: string) => Promise<void>;
}

/** What a role gives on every app of its team (display only: engine/policy.ts decides). */
export function rolePermissions(role: 'admin' | 'member' | 'viewer', memberPermissions: readonly Permission[]): Permission[] {
  if (role === 'admin') return [...ALL];
  if (role === 'viewer') return ['view'];
  return ALL.filter((p) => p === 'view' || memberPermissions.includes(p));
}

/** `since` as the API takes it: a duration back from now (`1h`), or an ISO time. */
export function sinceDate(since: string, now: Date): Date {
  const seconds = parseDuration(since);
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000);
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) throw new SlipwayError('invalid_request', `since=${since.slice(0, 40)} is neither a duration (30m, 1h, 7d) nor an ISO time.`);
  return new Date(ms);
}

export function requireUser(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') throw new SlipwayError('forbidden', 'Only a user can do this.');
  return principal;
}

export interface AuditQuery {
  app?: string;
  team?: string;
  user?: string;
  since?: string;
}

export class AccountsHandlers {
  private readonly clock: () => Date;

  constructor(private readonly deps: AccountsDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async login(body: { name: string; password: string; description?: string }, address: string | null) {
    const result = await this.deps.identity.login(body.name, body.password, address, body.description ?? null);
    return {
      token: result.token,
      tokenId: result.record.id,
      user: { name: result.user.name, email: result.user.email },
      expiresAt: result.record.expiresAt?.toISOString() ?? null,
    };
  }

  logout(principal: Principal): Promise<void> {
    return this.deps.identity.logout(requireUser(principal));
  }

  async account(principal: Principal) {
    const user = await this.deps.identity.whoami(requireUser(principal));
    const teams = (await this.deps.teams.teams(principal)).filter((t) => t.role !== null);
    return { name: user.name, email: user.email, platformAdmin: user.platformAdmin, teams: teams.map((t) => ({ name: t.name, role: t.role! })) };
  }

  async listUsers() {
    return (await this.deps.identity.listUsers()).map(userJson);
  }

  async createUser(principal: Principal, body: { name: string; email: string; password?: string }) {
    const created = await this.deps.identity.createUser(principal, { name: body.name, email: body.email, password: body.password ?? null });
    return { user: userJson(created.user), password: created.generatedPassword };
  }

  async updateUser(principal: Principal, name: string, body: { disabled: boolean }) {
    const user = body.disabled ? await this.deps.identity.disableUser(principal, name) : await this.deps.identity.enableUser(principal, name);
    return userJson(user);
  }

  changePassword(principal: Principal, body: { current: string; password: string }) {
    return this.deps.identity.changePassword(requireUser(principal), body.current, body.password);
  }

  async resetPassword(principal: Principal, name: string, body: { password?: string }) {
    const reset = await this.deps.identity.resetPassword(principal, name, body.password ?? null);
    return { user: reset.user.name, password: reset.generatedPassword, loginsEnded: reset.loginsEnded };
  }

  async listTokens(principal: Principal) {
    const user = requireUser(principal);
    const current = user.via === 'token' ? user.credential : null;
    return (await this.deps.identity.tokens(user)).filter((t) => t.revokedAt === null).map((t) => tokenJson(t, current));
  }

  async createToken(principal: Principal, body: { scope?: 'read' | 'deploy' | 'admin'; description?: string; expiresIn?: number }) {
    const expiresAt = body.expiresIn === undefined ? null : new Date(this.clock().getTime() + body.expiresIn * 1000);
    const issued = await this.deps.identity.createToken(requireUser(principal), { scope: body.scope, description: body.description ?? null, expiresAt });
    return { ...tokenJson(issued.record, null), token: issued.token };
  }

  async revokeToken(principal: Principal, id: number) {
    const user = requireUser(principal);
    return tokenJson(await this.deps.identity.revokeToken(user, id), user.via === 'token' ? user.credential : null);
  }

  async listTeams(principal: Principal) {
    return (await this.deps.teams.teams(principal)).map(teamJson);
  }

  async createTeam(principal: Principal, body: { name: string }) {
    return teamJson({ ...(await this.deps.teams.createTeam(requireUser(principal), body.name)), role: 'admin' });
  }

  /** teams:permissions: the team as the caller sees it afterwards (with the caller's role). */
  async setMemberPermissions(principal: Principal, team: string, body: { memberPermissions: Permission[] }) {
    const updated = await this.deps.teams.setMemberPermissions(principal, team, body.memberPermissions);
    const seen = (await this.deps.teams.teams(principal)).find((t) => t.name === updated.name);
    return teamJson({ ...updated, role: seen?.role ?? null });
  }

  async members(team: string) {
    return (await this.deps.teams.members(team)).map(memberJson);
  }

  async addMember(principal: Principal, team: string, body: { user: string; role: 'admin' | 'member' | 'viewer' }) {
    return memberJson(await this.deps.teams.addMember(principal, team, body.user, body.role));
  }

  async setMember(principal: Principal, team: string, user: string, body: { role: 'admin' | 'member' | 'viewer' }) {
    return memberJson(await this.deps.teams.setMember(principal, team, user, body.role));
  }

  removeMember(principal: Principal, team: string, user: string): Promise<void> {
    return this.deps.teams.removeMember(principal, team, user);
  }

  /** The team's members with what their role gives, then the collaborators. */
  async access(appName: string) {
    const app = await this.deps.apps.get(appName);
    const team = await this.deps.teams.teamOfApp(app.id);
    const members = await this.deps.teams.members(team.name);
    const collaborators = await this.deps.appAccess.collaborators(appName);
    return {
      app: app.name,
      team: team.name,
      entries: [
        ...members.map((m) => ({ user: m.userName, via: 'team' as const, role: m.role, permissions: rolePermissions(m.role, team.memberPermissions) })),
        ...collaborators.map((c) => ({ user: c.userName, via: 'collaborator' as const, role: null, permissions: [...c.permissions] })),
      ],
    };
  }

  async addAccess(principal: Principal, app: string, body: { user: string; permissions: Permission[] }) {
    const collaborator = await this.deps.appAccess.addCollaborator(principal, app, body.user, body.permissions);
    return { user: collaborator.userName, via: 'collaborator' as const, role: null, permissions: [...collaborator.permissions] };
  }

  removeAccess(principal: Principal, app: string, user: string): Promise<void> {
    return this.deps.appAccess.removeCollaborator(principal, app, user);
  }

  async transfer(principal: Principal, app: string, body: { team: string }) {
    const { to } = await this.deps.teams.transferApp(principal, app, body.team);
    await this.deps.moved?.(app);
    return { app, team: to.name };
  }

  /** The engine's filter of a query: names resolved, `since` read. */
  async auditFilter(query: AuditQuery): Promise<AuditFilter> {
    const filter: AuditFilter = {};
    if (query.app !== undefined) filter.app = query.app;
    if (query.team !== undefined) filter.team = query.team;
    if (query.user !== undefined) filter.userId = (await this.deps.identity.getUser(query.user)).id;
    if (query.since !== undefined) filter.since = sinceDate(query.since, this.clock());
    return filter;
  }

  async auditPage(principal: Principal, query: AuditQuery & { limit?: number; before?: number }) {
    const filter = await this.auditFilter(query);
    if (query.before !== undefined) filter.before = query.before;
    const page = await this.deps.audit.query(principal, filter, query.limit);
    return { events: page.entries.map(auditJson), next: page.next };
  }
}
