/**
 * The JSON shapes of the accounts API (users, sign-in, tokens, teams, members, app access,
 * transfers and the audit log; docs/contracts/api.md), as the CLI reads them. No I/O.
 */

export type TeamRole = 'admin' | 'member' | 'viewer';
export type TokenScope = 'read' | 'deploy' | 'admin';
export type AppPermission = 'view' | 'deploy' | 'operate' | 'manage';

export const TEAM_ROLES: readonly TeamRole[] = ['admin', 'member', 'viewer'];
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'deploy', 'admin'];
export const APP_PERMISSIONS: readonly AppPermission[] = ['view', 'deploy', 'operate', 'manage'];

/** POST /login: a new session token for the user. */
export interface LoginResult {
  token: string;
  tokenId: number;
  user: { name: string; email: string | null };
  expiresAt: string | null;
}

/** GET /account: who the caller is. */
export interface Account {
  name: string;
  email: string | null;
  platformAdmin: boolean;
  teams: Array<{ name: string; role: TeamRole }>;
}

/** GET /users (platform admins). */
export interface UserView {
  name: string;
  email: string | null;
  platformAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

/** POST /users: the user, and the one-time password when none was given. */
export interface CreatedUser {
  user: UserView;
  password: string | null;
}

/** GET /tokens: the caller's tokens, never their secret. */
export interface TokenView {
  id: number;
  /** `login`: made by `slipway login`; `api`: by tokens:create. */
  kind: 'login' | 'api';
  description: string | null;
  scope: TokenScope;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** The token of this very request. */
  current: boolean;
}

/** POST /tokens: the token, shown this once. */
export interface CreatedToken extends TokenView {
  token: string;
}

/** GET /teams: the teams the caller belongs to (platform admins: all). */
export interface TeamView {
  name: string;
  /** The caller's role; null when a platform admin sees a team of which they are not a member. */
  role: TeamRole | null;
  /** A user's own team, named after them. */
  personal: boolean;
  /** What members (role `member`) may do on the team's apps. */
  memberPermissions: AppPermission[];
  createdAt: string;
}

/** GET /teams/:team/members. */
export interface MemberView {
  user: string;
  role: TeamRole;
}

/** GET /apps/:app/access: everyone who may act on the app, and what they may do. */
export interface AccessEntry {
  user: string;
  /** `team`: by the role in the app's team; `collaborator`: granted on this app alone. */
  via: 'team' | 'collaborator';
  role: TeamRole | null;
  permissions: AppPermission[];
}

export interface AppAccess {
  app: string;
  team: string;
  entries: AccessEntry[];
}

/** One entry of the audit log (GET /audit, and each event of GET /audit/stream). */
export interface AuditEvent {
  /** Increasing: the stream's event id, and the cursor of pages. */
  id: number;
  time: string;
  /** The user who acted (as named then); null for the platform itself. */
  user: string | null;
  /** `password`: a login attempt. */
  via: 'token' | 'session' | 'ssh-key' | 'password' | 'platform';
  /** The token's id, or the SSH key's fingerprint: never a secret. */
  credential: string | null;
  address: string | null;
  action: string;
  app: string | null;
  team: string | null;
  result: 'ok' | 'refused' | 'failed';
  /** What changed, never a secret (config keys, not values); `reason` for a refusal. */
  detail: Record<string, unknown>;
}

/** GET /audit: newest first; `next` fetches older ones (`?before=next`). */
export interface AuditPage {
  events: AuditEvent[];
  next: number | null;
}

export interface AuditFilter {
  app?: string;
  team?: string;
  user?: string;
  /** ISO time or a duration back from now (`1h`, `30m`, `7d`). */
  since?: string;
  limit?: number;
}
