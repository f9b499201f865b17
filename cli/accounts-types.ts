/**
 * The shapes of the accounts API (users, sign-in, tokens, teams, members, app access, transfers
 * and the audit log; docs/contracts/api.md), inferred from the schemas the API validates and
 * answers with (api/schemas/accounts.ts). Type-only: the CLI loads no schema code.
 */
export type {
  Account, AccessEntry, AppAccess, AuditEvent, AuditPage, CreatedToken, CreatedUser, LoginResult, MemberView, PasswordChanged, PasswordReset,
  TeamView, TokenView, UserView,
} from '../api/schemas/accounts';

export type TeamRole = 'admin' | 'member' | 'viewer';
export type TokenScope = 'read' | 'deploy' | 'admin';
export type AppPermission = 'view' | 'deploy' | 'operate' | 'manage';

export const TEAM_ROLES: readonly TeamRole[] = ['admin', 'member', 'viewer'];
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'deploy', 'admin'];
export const APP_PERMISSIONS: readonly AppPermission[] = ['view', 'deploy', 'operate', 'manage'];

export interface AuditFilter {
  app?: string;
  team?: string;
  user?: string;
  /** ISO time or a duration back from now (`1h`, `30m`, `7d`). */
  since?: string;
  limit?: number;
}
