/**
 * The one authorization policy (docs/security.md "Who may do what"). Pure: it decides from a
 * principal, what it asks for and the facts about the resource, and never does I/O, so every
 * transport (HTTP routes, git push, `ssh … run`, the attach protocol, the console) asks the same
 * question through engine/access.ts and gets the same answer.
 *
 * The vocabulary is Heroku's: four permissions on an app (view, deploy, operate, manage), roles in a
 * team (admin, member, viewer), collaborators with chosen permissions, token scopes.
 */

export const APP_PERMISSIONS = ['view', 'deploy', 'operate', 'manage'] as const;
export type AppPermission = (typeof APP_PERMISSIONS)[number];

export const TEAM_ROLES = ['admin', 'member', 'viewer'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** Each scope includes the ones before it: read ⊂ deploy ⊂ admin. */
export const TOKEN_SCOPES = ['read', 'deploy', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface UserPrincipal {
  kind: 'user';
  userId: number;
  userName: string;
  platformAdmin: boolean;
  /** What the credential may be used for; SSH keys and console sessions act with `admin`. */
  scope: TokenScope;
  via: 'token' | 'session' | 'ssh-key';
  /** The token's id or the key's fingerprint, for the audit log (never the secret). */
  credential: string;
  /** The client's address, for the audit log and login throttling. */
  address?: string;
}

/** Slipway itself (the reconciler, scheduled backups): system actions, always allowed. */
export interface PlatformPrincipal {
  kind: 'platform';
}

export type Principal = UserPrincipal | PlatformPrincipal;

export const PLATFORM: PlatformPrincipal = Object.freeze({ kind: 'platform' });

/**
 * What a caller asks to do. App actions name the permission they need; `app:config:read` (config
 * values) needs any permission beyond view, because each of deploy (push code that prints its
 * environment), operate (`run env`) and manage already reaches the values another way.
 */
export const ACTIONS = [
  'app:view', 'app:config:read', 'app:deploy', 'app:operate', 'app:manage',
  'team:view', 'team:manage', 'team:create-app',
  'account', 'account:credentials',
  'platform:read', 'platform:admin',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface AccessRequest {
  action: Action;
  /** The app's name, for app actions. */
  app?: string;
  /** The team's name, for team actions. */
  team?: string;
}

/** What the policy must know about an app and the principal's relation to it. */
export interface AppFacts {
  team: string;
  /** The principal's role in the app's team; null when not a member. */
  role: TeamRole | null;
  /** The permissions the team gives its members on every app. */
  memberPermissions: readonly AppPermission[];
  /** The principal's permissions as a collaborator of this app (empty when not one). */
  collaborator: readonly AppPermission[];
}

export interface TeamFacts {
  /** The principal's role in the team; null when not a member. */
  role: TeamRole | null;
}

/** `null` for an app or team that does not exist; absent when the request names none. */
export interface AccessFacts {
  app?: AppFacts | null;
  team?: TeamFacts | null;
}

export type Refusal =
  /** 404: the resource does not exist, or the caller may not know that it does. */
  | { allowed: false; reason: 'unknown_app' | 'unknown_team'; message: string }
  /** 403: the caller can see the resource but lacks what the action needs. */
  | { allowed: false; reason: 'forbidden'; missing: string; message: string };

export type Decision = { allowed: true } | Refusal;

/** The port every transport uses; engine/access.ts loads the facts and applies the policy. */
export interface AccessChecker {
  /** Resolves when allowed; throws `forbidden` (403), `app_not_found` or `team_not_found` (404) otherwise. */
  check(principal: Principal, request: AccessRequest): Promise<void>;
}

const ALLOWED: Decision = Object.freeze({ allowed: true });

/** The least scope a token needs for an action. */
export function scopeNeeded(action: Action): TokenScope {
  switch (action) {
    case 'app:view': case 'team:view': case 'account': case 'platform:read': return 'read';
    case 'app:config:read': case 'app:deploy': case 'app:operate': return 'deploy';
    default: return 'admin';
  }
}

function scopeCovers(scope: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(scope) >= TOKEN_SCOPES.indexOf(needed);
}

/** The permissions a principal holds on an app, from its team role and as a collaborator. */
export function appPermissions(facts: AppFacts): Set<AppPermission> {
  const held = new Set<AppPermission>(facts.collaborator);
  if (facts.role === 'admin') APP_PERMISSIONS.forEach((p) => held.add(p));
  if (facts.role === 'member') facts.memberPermissions.forEach((p) => held.add(p));
  if (facts.role === 'viewer') held.add('view');
  // Any permission lets its holder see the app it applies to.
  if (held.size > 0) held.add('view');
  return held;
}

/** The permissions that satisfy an app action (any one of them). */
function permissionsFor(action: Action): readonly AppPermission[] {
  switch (action) {
    case 'app:view': return ['view'];
    case 'app:config:read': return ['deploy', 'operate', 'manage'];
    case 'app:deploy': return ['deploy'];
    case 'app:operate': return ['operate'];
    default: return ['manage'];
  }
}

function forbidden(missing: string, message: string): Refusal {
  return { allowed: false, reason: 'forbidden', missing, message };
}

export function authorize(principal: Principal, request: AccessRequest, facts: AccessFacts = {}): Decision {
  if (principal.kind === 'platform') return ALLOWED;
  const { action } = request;

  const needed = scopeNeeded(action);
  if (!scopeCovers(principal.scope, needed)) {
    return forbidden(`${needed} scope`, `This ${principal.via === 'token' ? 'token' : 'credential'} has the ${principal.scope} scope; ${action} needs a ${needed} token. Create one with \`slipway tokens:create --scope ${needed}\`.`);
  }
  if (principal.platformAdmin) return ALLOWED;

  if (action.startsWith('app:')) {
    const app = facts.app;
    const name = request.app ?? '';
    const unknown: Refusal = { allowed: false, reason: 'unknown_app', message: `No app named "${name}" that you can see. Run \`slipway apps\` to list yours.` };
    if (!app) return unknown;
    const held = appPermissions(app);
    // Someone who may not even view an app must not learn that it exists.
    if (!held.has('view')) return unknown;
    const satisfying = permissionsFor(action);
    if (satisfying.some((p) => held.has(p))) return ALLOWED;
    const missing = satisfying.length === 1 ? satisfying[0]! : satisfying.join(' or ');
    return forbidden(missing, `You need the ${missing} permission on ${name} for this. Ask an admin of team ${app.team} (\`slipway access:add\`).`);
  }

  if (action.startsWith('team:')) {
    const role = facts.team?.role ?? null;
    const name = request.team ?? '';
    if (!role) return { allowed: false, reason: 'unknown_team', message: `No team named "${name}" that you belong to. Run \`slipway teams\` to list yours.` };
    if (action === 'team:view') return ALLOWED;
    if (action === 'team:create-app' && role !== 'viewer') return ALLOWED;
    if (role === 'admin') return ALLOWED;
    return forbidden(action === 'team:create-app' ? 'member role' : 'admin role',
      `You are a ${role} of team ${name}; this needs ${action === 'team:create-app' ? 'a member or admin' : 'an admin'} of the team.`);
  }

  if (action === 'account' || action === 'account:credentials' || action === 'platform:read') return ALLOWED;
  return forbidden('platform admin', 'Only a platform admin may do this.');
}
