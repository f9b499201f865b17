/**
 * The accounts calls of the REST API (docs/contracts/api.md: sign-in, users, tokens, teams,
 * members, app access, transfers, audit), typed, over the shared ApiClient.
 */
import type { ApiClient } from './api-client';
import type { App } from './api-types';
import type {
  Account, AccessEntry, AppAccess, AppPermission, AuditFilter, AuditPage, CreatedToken, CreatedUser, LoginResult,
  MemberView, PasswordChanged, PasswordReset, TeamRole, TeamView, TokenScope, TokenView, UserView,
} from './accounts-types';

const seg = encodeURIComponent;

/** `?a=1&b=2` of the defined values, or ''. */
export function queryString(values: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export class AccountsApi {
  constructor(private readonly client: ApiClient) {}

  login(name: string, password: string): Promise<LoginResult> {
    return this.client.call('POST', '/login', { name, password });
  }

  logout(): Promise<void> {
    return this.client.call('POST', '/logout');
  }

  account(): Promise<Account> {
    return this.client.call('GET', '/account');
  }

  changePassword(current: string, password: string): Promise<PasswordChanged> {
    return this.client.call('PUT', '/account/password', { current, password });
  }

  resetPassword(name: string, password?: string): Promise<PasswordReset> {
    return this.client.call('POST', `/users/${seg(name)}/password`, password === undefined ? {} : { password });
  }

  listUsers(): Promise<UserView[]> {
    return this.client.call('GET', '/users');
  }

  createUser(name: string, email: string, password?: string): Promise<CreatedUser> {
    return this.client.call('POST', '/users', password === undefined ? { name, email } : { name, email, password });
  }

  disableUser(name: string): Promise<UserView> {
    return this.client.call('PATCH', `/users/${seg(name)}`, { disabled: true });
  }

  enableUser(name: string): Promise<UserView> {
    return this.client.call('PATCH', `/users/${seg(name)}`, { disabled: false });
  }

  listTokens(): Promise<TokenView[]> {
    return this.client.call('GET', '/tokens');
  }

  createToken(options: { scope?: TokenScope; description?: string; expiresIn?: number }): Promise<CreatedToken> {
    return this.client.call('POST', '/tokens', options);
  }

  revokeToken(id: string): Promise<TokenView> {
    return this.client.call('DELETE', `/tokens/${seg(id)}`);
  }

  listTeams(): Promise<TeamView[]> {
    return this.client.call('GET', '/teams');
  }

  createTeam(name: string): Promise<TeamView> {
    return this.client.call('POST', '/teams', { name });
  }

  setMemberPermissions(team: string, memberPermissions: AppPermission[]): Promise<TeamView> {
    return this.client.call('PATCH', `/teams/${seg(team)}`, { memberPermissions });
  }

  listMembers(team: string): Promise<MemberView[]> {
    return this.client.call('GET', `/teams/${seg(team)}/members`);
  }

  addMember(team: string, user: string, role: TeamRole): Promise<MemberView> {
    return this.client.call('POST', `/teams/${seg(team)}/members`, { user, role });
  }

  setMember(team: string, user: string, role: TeamRole): Promise<MemberView> {
    return this.client.call('PATCH', `/teams/${seg(team)}/members/${seg(user)}`, { role });
  }

  removeMember(team: string, user: string): Promise<void> {
    return this.client.call('DELETE', `/teams/${seg(team)}/members/${seg(user)}`);
  }

  listApps(team?: string): Promise<App[]> {
    return this.client.call('GET', `/apps${queryString({ team })}`);
  }

  createApp(name: string, team?: string): Promise<App> {
    return this.client.call('POST', '/apps', team === undefined ? { name } : { name, team });
  }

  transferApp(app: string, team: string): Promise<{ app: string; team: string }> {
    return this.client.call('POST', `/apps/${seg(app)}/transfer`, { team });
  }

  access(app: string): Promise<AppAccess> {
    return this.client.call('GET', `/apps/${seg(app)}/access`);
  }

  addAccess(app: string, user: string, permissions: AppPermission[]): Promise<AccessEntry> {
    return this.client.call('POST', `/apps/${seg(app)}/access`, { user, permissions });
  }

  removeAccess(app: string, user: string): Promise<void> {
    return this.client.call('DELETE', `/apps/${seg(app)}/access/${seg(user)}`);
  }

  audit(filter: AuditFilter, before?: number): Promise<AuditPage> {
    return this.client.call('GET', `/audit${queryString({ ...filter, before })}`);
  }
}
