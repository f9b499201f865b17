/**
 * Teams, members, users, app access, the audit log and capacity (issue 11's model, issue 14's
 * admin pages). Types come from the API's own schemas (api/schemas/*), never copied.
 */
import type {
  Account, AccessEntry, AppAccess, AuditEvent, AuditPage, CreatedUser, MemberView, PasswordChanged, PasswordReset, TeamView, UserView,
} from '../../../api/schemas/accounts';
import type { CapacityView } from '../../../api/schemas/platform';
import { call, enc } from './client';

export type { Account, AccessEntry, AppAccess, AuditEvent, AuditPage, CapacityView, CreatedUser, MemberView, PasswordReset, TeamView, UserView };
export type TeamRole = MemberView['role'];
export type AppPermission = AccessEntry['permissions'][number];
export type HostUsage = CapacityView['hosts'][number];

/** What the audit feed is narrowed to (`GET /audit?app=&team=&user=`). */
export interface AuditFilter {
  app?: string;
  team?: string;
  user?: string;
}

/** The filter as a query string, only the parts given (`?app=shop&user=ann`, or ''). */
export function auditQuery(filter: AuditFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The signed-in user's own account (`GET /account`, `PUT /account/password`). */
export const account = {
  get: () => call<Account>('GET', '/account'),
  changePassword: (current: string, password: string) => call<PasswordChanged>('PUT', '/account/password', { current, password }),
};

export const admin = {
  teams: {
    list: () => call<TeamView[]>('GET', '/teams'),
    create: (name: string) => call<TeamView>('POST', '/teams', { name }),
    setMemberPermissions: (team: string, memberPermissions: AppPermission[]) => call<TeamView>('PATCH', `/teams/${enc(team)}`, { memberPermissions }),
    members: (team: string) => call<MemberView[]>('GET', `/teams/${enc(team)}/members`),
    addMember: (team: string, user: string, role: TeamRole) => call<MemberView>('POST', `/teams/${enc(team)}/members`, { user, role }),
    setMember: (team: string, user: string, role: TeamRole) => call<MemberView>('PATCH', `/teams/${enc(team)}/members/${enc(user)}`, { role }),
    removeMember: (team: string, user: string) => call<void>('DELETE', `/teams/${enc(team)}/members/${enc(user)}`),
  },
  users: {
    list: () => call<UserView[]>('GET', '/users'),
    create: (name: string, email: string) => call<CreatedUser>('POST', '/users', { name, email }),
    setDisabled: (name: string, disabled: boolean) => call<UserView>('PATCH', `/users/${enc(name)}`, { disabled }),
    resetPassword: (name: string) => call<PasswordReset>('POST', `/users/${enc(name)}/password`, {}),
  },
  access: {
    get: (app: string) => call<AppAccess>('GET', `/apps/${enc(app)}/access`),
    add: (app: string, user: string, permissions: AppPermission[]) => call<AccessEntry>('POST', `/apps/${enc(app)}/access`, { user, permissions }),
    remove: (app: string, user: string) => call<void>('DELETE', `/apps/${enc(app)}/access/${enc(user)}`),
  },
  audit: {
    /** Newest first; `before` (a page's `next`) pages back. */
    page: (filter: AuditFilter, limit = 50, before?: number) =>
      call<AuditPage>('GET', `/audit${auditQuery(filter, { limit: String(limit), ...(before === undefined ? {} : { before: String(before) }) })}`),
    /** The Server-Sent Events address of the live feed (opened with EventSource: the session cookie goes along). */
    streamUrl: (filter: AuditFilter) => `/api/v1/audit/stream${auditQuery(filter)}`,
  },
  capacity: () => call<CapacityView>('GET', '/capacity'),
};
