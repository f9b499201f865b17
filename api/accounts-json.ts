/**
 * Engine models → JSON of the accounts routes (docs/contracts/api.md "Accounts and access"):
 * never a password hash or a token's secret. Structural inputs, so this module needs nothing
 * but the shapes.
 */

type Permission = 'view' | 'deploy' | 'operate' | 'manage';
type Role = 'admin' | 'member' | 'viewer';

export function userJson(user: { name: string; email: string | null; platformAdmin: boolean; disabledAt: Date | null; createdAt: Date }) {
  return { name: user.name, email: user.email, platformAdmin: user.platformAdmin, disabled: user.disabledAt !== null, createdAt: user.createdAt.toISOString() };
}

export function tokenJson(
  token: { id: number; kind: 'login' | 'api'; scope: 'read' | 'deploy' | 'admin'; description: string | null; expiresAt: Date | null; lastUsedAt: Date | null; createdAt: Date },
  currentId: string | null,
) {
  return {
    id: token.id,
    kind: token.kind,
    description: token.description,
    scope: token.scope,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    current: currentId === String(token.id),
  };
}

export function teamJson(team: { name: string; personal: boolean; memberPermissions: Permission[]; createdAt: Date; role?: Role | null }) {
  return { name: team.name, role: team.role ?? null, personal: team.personal, memberPermissions: [...team.memberPermissions], createdAt: team.createdAt.toISOString() };
}

export function memberJson(member: { userName: string; role: Role }) {
  return { user: member.userName, role: member.role };
}

export function auditJson(entry: {
  id: number; at: Date; userName: string | null; via: 'token' | 'session' | 'ssh-key' | 'password' | 'platform'; credential: string | null;
  address: string | null; action: string; app: string | null; team: string | null; result: 'ok' | 'refused' | 'failed';
  detail: Readonly<Record<string, unknown>>;
}) {
  return {
    id: entry.id,
    time: entry.at.toISOString(),
    user: entry.userName,
    via: entry.via,
    credential: entry.credential,
    address: entry.address,
    action: entry.action,
    app: entry.app,
    team: entry.team,
    result: entry.result,
    detail: { ...entry.detail },
  };
}
