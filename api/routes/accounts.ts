/**
 * Sign-in, users, tokens, teams, members, app access, transfers and the audit log (issue 11).
 * Thin: the schemas check the input, the policy decides from `access`, AccountsHandlers calls
 * the identity services. Those services also append to the audit log inside their own
 * transactions (login attempts too, refused ones included); the `audit` names here are the route
 * table's, as for every change.
 */
import { z } from 'zod';
import type { AccessChecker, AccessRequest } from '../../engine/policy';
import { LoginThrottledError } from '../../engine/identity-service';
import { AccountsHandlers, requireUser, type AccountsDeps, type AuditQuery as AuditQueryInput } from '../accounts-handlers';
import { auditJson } from '../accounts-json';
import { streamAudit } from '../audit-stream';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import {
  AccessEntrySchema, AccessParams, AccountSchema, AddAccessBody, AddMemberBody, AppAccessSchema, AuditPageSchema, AuditQuery, ChangePasswordBody,
  AuditStreamQuery, CreatedTokenSchema, CreatedUserSchema, CreateTeamBody, CreateTokenBody, CreateUserBody, LoginBody,
  LoginResultSchema, MemberParams, MemberSchema, PasswordChangedSchema, PasswordResetSchema, ResetPasswordBody, SetMemberBody, TeamParams, TeamSchema,
  TokenParams, TokenSchema, TransferBody, UpdateTeamBody,
  TransferResultSchema, UpdateUserBody, UserParams, UserSchema,
} from '../schemas/accounts';

export interface AccountRoutesDeps extends AccountsDeps {
  /** The same checker the route table uses: transfers also need admin of the team they go to. */
  access: AccessChecker;
}

/** Reading the audit log: of one app (view), of one team (membership), else one's own scope. */
function auditAccess(query: { app?: string | undefined; team?: string | undefined }): AccessRequest {
  if (query.app !== undefined) return { action: 'app:view', app: query.app };
  if (query.team !== undefined) return { action: 'team:view', team: query.team };
  return { action: 'account' };
}

function auditQuery(query: { app?: string | undefined; team?: string | undefined; user?: string | undefined; since?: string | undefined }): AuditQueryInput {
  const result: AuditQueryInput = {};
  if (query.app !== undefined) result.app = query.app;
  if (query.team !== undefined) result.team = query.team;
  if (query.user !== undefined) result.user = query.user;
  if (query.since !== undefined) result.since = query.since;
  return result;
}

/** A throttled password check (a login, a password change) answers 429 with Retry-After. */
async function sayWhenToRetry<T>(res: { setHeader(name: string, value: string): unknown }, checkPassword: () => Promise<T>): Promise<T> {
  try {
    return await checkPassword();
  } catch (error) {
    if (error instanceof LoginThrottledError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    throw error;
  }
}

export function accountRoutes(deps: AccountRoutesDeps): Route[] {
  const handlers = new AccountsHandlers(deps);
  return [
    defineRoute({
      method: 'post', path: '/login', tag: 'account', summary: 'Sign in with a name and password: a login token (no token needed)',
      body: LoginBody, response: LoginResultSchema, status: 201, errors: ['login_failed', 'login_throttled', 'user_disabled'],
      access: 'public',
      handler: ({ body, address, res }) => sayWhenToRetry(res, () => handlers.login(body, address)),
    }),
    defineRoute({
      method: 'post', path: '/logout', tag: 'account', summary: 'Revoke the token of this request',
      audit: 'session.logout', auditedBy: 'service',
      access: () => ({ action: 'account' }),
      handler: async ({ principal }) => { await handlers.logout(principal); },
    }),
    defineRoute({
      method: 'get', path: '/account', tag: 'account', summary: 'Who you are: name, email, teams, platform admin',
      response: AccountSchema, access: () => ({ action: 'account' }),
      handler: ({ principal }) => handlers.account(principal),
    }),
    defineRoute({
      method: 'put', path: '/account/password', tag: 'account', summary: 'Change your password, proving the current one: your other logins and console sessions end',
      body: ChangePasswordBody, response: PasswordChangedSchema, errors: ['wrong_password', 'invalid_password', 'login_throttled'],
      audit: 'account.password', auditedBy: 'service',
      access: () => ({ action: 'account:credentials' }),
      handler: ({ principal, body, res }) => sayWhenToRetry(res, () => handlers.changePassword(principal, body)),
    }),
    defineRoute({
      method: 'get', path: '/users', tag: 'users', summary: 'List users (platform admins)',
      response: z.array(UserSchema), access: () => ({ action: 'platform:admin' }),
      handler: () => handlers.listUsers(),
    }),
    defineRoute({
      method: 'post', path: '/users', tag: 'users', summary: 'Create a user and their personal team; without a password, a generated one is returned once',
      body: CreateUserBody, response: CreatedUserSchema, status: 201,
      errors: ['user_exists', 'invalid_user_name', 'invalid_email', 'invalid_password'],
      audit: 'user.create', auditedBy: 'service',
      access: () => ({ action: 'platform:admin' }),
      handler: ({ principal, body }) => handlers.createUser(principal, body),
    }),
    defineRoute({
      method: 'patch', path: '/users/:name', tag: 'users', summary: 'Disable (or enable) a user: their tokens and keys stop at once',
      params: UserParams, body: UpdateUserBody, response: UserSchema, errors: ['user_not_found'],
      audit: 'user.update', auditedBy: 'service',
      access: () => ({ action: 'platform:admin' }),
      handler: ({ principal, params, body }) => handlers.updateUser(principal, params.name, body),
    }),
    defineRoute({
      method: 'post', path: '/users/:name/password', tag: 'users', summary: 'Reset a user\'s password (given, or generated and returned once): all their logins and console sessions end',
      params: UserParams, body: ResetPasswordBody, response: PasswordResetSchema, errors: ['user_not_found', 'invalid_password'],
      audit: 'user.password-reset', auditedBy: 'service',
      access: () => ({ action: 'platform:admin' }),
      handler: ({ principal, params, body }) => handlers.resetPassword(principal, params.name, body),
    }),
    defineRoute({
      method: 'get', path: '/tokens', tag: 'account', summary: 'Your API tokens, never their secret',
      response: z.array(TokenSchema), access: () => ({ action: 'account' }),
      handler: ({ principal }) => handlers.listTokens(principal),
    }),
    defineRoute({
      method: 'post', path: '/tokens', tag: 'account', summary: 'Create an API token; its secret is in this answer only',
      body: CreateTokenBody, response: CreatedTokenSchema, status: 201, errors: ['invalid_token_request'],
      audit: 'token.create', auditedBy: 'service',
      access: () => ({ action: 'account:credentials' }),
      handler: ({ principal, body }) => handlers.createToken(principal, body),
    }),
    defineRoute({
      method: 'delete', path: '/tokens/:id', tag: 'account', summary: 'Revoke one of your tokens',
      params: TokenParams, response: TokenSchema, errors: ['token_not_found'],
      audit: 'token.revoke', auditedBy: 'service',
      access: () => ({ action: 'account:credentials' }),
      handler: ({ principal, params }) => handlers.revokeToken(principal, params.id),
    }),
    defineRoute({
      method: 'get', path: '/teams', tag: 'teams', summary: 'Your teams (platform admins: all)',
      response: z.array(TeamSchema), access: () => ({ action: 'account' }),
      handler: ({ principal }) => handlers.listTeams(principal),
    }),
    defineRoute({
      method: 'post', path: '/teams', tag: 'teams', summary: 'Create a team; you become its admin',
      body: CreateTeamBody, response: TeamSchema, status: 201, errors: ['team_exists', 'invalid_team_name'],
      // Creating a team is an account change a read or deploy token must not make.
      audit: 'team.create', auditedBy: 'service',
      access: () => ({ action: 'account:credentials' }),
      handler: ({ principal, body }) => handlers.createTeam(principal, body),
    }),
    defineRoute({
      method: 'patch', path: '/teams/:team', tag: 'teams', summary: 'Set what the team\'s members may do on each of its apps (view is always given)',
      params: TeamParams, body: UpdateTeamBody, response: TeamSchema, errors: ['team_not_found', 'invalid_permissions'],
      audit: 'team.permissions', auditedBy: 'service',
      access: ({ params }) => ({ action: 'team:manage', team: params.team }),
      handler: ({ principal, params, body }) => handlers.setMemberPermissions(principal, params.team, body),
    }),
    defineRoute({
      method: 'get', path: '/teams/:team/members', tag: 'teams', summary: 'A team\'s members and their roles',
      params: TeamParams, response: z.array(MemberSchema),
      access: ({ params }) => ({ action: 'team:view', team: params.team }),
      handler: ({ params }) => handlers.members(params.team),
    }),
    defineRoute({
      method: 'post', path: '/teams/:team/members', tag: 'teams', summary: 'Add a member with a role',
      params: TeamParams, body: AddMemberBody, response: MemberSchema, status: 201, errors: ['user_not_found', 'member_exists'],
      audit: 'member.add', auditedBy: 'service',
      access: ({ params }) => ({ action: 'team:manage', team: params.team }),
      handler: ({ principal, params, body }) => handlers.addMember(principal, params.team, body),
    }),
    defineRoute({
      method: 'patch', path: '/teams/:team/members/:user', tag: 'teams', summary: 'Change a member\'s role',
      params: MemberParams, body: SetMemberBody, response: MemberSchema, errors: ['user_not_found', 'member_not_found', 'last_team_admin'],
      audit: 'member.set', auditedBy: 'service',
      access: ({ params }) => ({ action: 'team:manage', team: params.team }),
      handler: ({ principal, params, body }) => handlers.setMember(principal, params.team, params.user, body),
    }),
    defineRoute({
      method: 'delete', path: '/teams/:team/members/:user', tag: 'teams', summary: 'Remove a member',
      params: MemberParams, errors: ['user_not_found', 'member_not_found', 'last_team_admin'],
      audit: 'member.remove', auditedBy: 'service',
      access: ({ params }) => ({ action: 'team:manage', team: params.team }),
      handler: async ({ principal, params }) => { await handlers.removeMember(principal, params.team, params.user); },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/access', tag: 'teams', summary: 'Who may act on the app: team members by role, and collaborators',
      params: AppParams, response: AppAccessSchema,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: ({ params }) => handlers.access(params.app),
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/access', tag: 'teams', summary: 'Give a user outside the team permissions on the app',
      params: AppParams, body: AddAccessBody, response: AccessEntrySchema, status: 201, errors: ['user_not_found', 'invalid_permissions'],
      audit: 'access.add', auditedBy: 'service',
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: ({ principal, params, body }) => handlers.addAccess(principal, params.app, body),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/access/:user', tag: 'teams', summary: 'Remove a collaborator',
      params: AccessParams, errors: ['collaborator_not_found'],
      audit: 'access.remove', auditedBy: 'service',
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ principal, params }) => { await handlers.removeAccess(principal, params.app, params.user); },
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/transfer', tag: 'teams', summary: 'Move the app to another team (admin of both teams)',
      params: AppParams, body: TransferBody, response: TransferResultSchema, errors: ['team_not_found'],
      audit: 'app.transfer', auditedBy: 'service',
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ principal, params, body }) => {
        // Manage on the app is not enough: the app leaves its team (admin of it) for another (admin of it too).
        const app = await deps.apps.get(params.app);
        const from = await deps.teams.teamOfApp(app.id);
        await deps.access.check(principal, { action: 'team:manage', team: from.name });
        await deps.access.check(principal, { action: 'team:manage', team: body.team });
        return handlers.transfer(principal, params.app, body);
      },
    }),
    defineRoute({
      method: 'get', path: '/audit', tag: 'audit', summary: 'The audit log, newest first, filtered and paginated (next → ?before=)',
      query: AuditQuery, response: AuditPageSchema, errors: ['user_not_found'],
      access: ({ query }) => auditAccess(query),
      handler: ({ principal, query }) => handlers.auditPage(principal, {
        ...auditQuery(query), ...(query.limit === undefined ? {} : { limit: query.limit }), ...(query.before === undefined ? {} : { before: query.before }),
      }),
    }),
    defineRoute({
      method: 'get', path: '/audit/stream', tag: 'audit', summary: 'The audit log live, as Server-Sent Events (resume with Last-Event-ID)',
      query: AuditStreamQuery, produces: 'text/event-stream', errors: ['user_not_found'],
      access: ({ query }) => auditAccess(query),
      handler: async ({ principal, query, req, res }) => {
        requireUser(principal);
        const filter = await handlers.auditFilter(auditQuery(query));
        await streamAudit(req, res, {
          page: async (before, limit) => {
            const page = await deps.audit.query(principal, before === undefined ? filter : { ...filter, before }, limit);
            return { entries: page.entries, next: page.next };
          },
          follow: (onEntry) => deps.audit.follow(principal, filter, onEntry),
        }, auditJson);
      },
    }),
  ];
}
