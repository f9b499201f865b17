/**
 * Sign-in, users, tokens, teams, members, app access, transfers and the audit log
 * (docs/contracts/api.md "Accounts and access"). No I/O: the CLI imports the types.
 */
import { z } from 'zod';
import { parseDuration } from '../../lib/duration';
import { AppParams, Timestamp } from './common';
import { hint } from './hint';

export const TeamRoleSchema = z.enum(['admin', 'member', 'viewer']);
export const TokenScopeSchema = z.enum(['read', 'deploy', 'admin']);
export const AppPermissionSchema = z.enum(['view', 'deploy', 'operate', 'manage']);

/** A user's or a team's name in a path or body; the services check the exact form. */
const Name = z.string().min(1).max(64);

const loginError = 'Send {"name": "alice", "password": "…"}';
export const LoginBody = z.object({
  name: z.string(hint(loginError)).min(1, hint(loginError)).max(64),
  password: z.string(hint(loginError)).min(1, hint(loginError)).max(1024),
  /** What the token is for (shown by `tokens`); default "slipway login". */
  description: z.string().max(200).optional(),
}, hint(loginError));

export const LoginResultSchema = z.object({
  token: z.string(),
  tokenId: z.number().int(),
  user: z.object({ name: z.string(), email: z.string().nullable() }),
  expiresAt: Timestamp.nullable(),
});
export type LoginResult = z.infer<typeof LoginResultSchema>;

export const AccountSchema = z.object({
  name: z.string(),
  email: z.string().nullable(),
  platformAdmin: z.boolean(),
  teams: z.array(z.object({ name: z.string(), role: TeamRoleSchema })),
});
export type Account = z.infer<typeof AccountSchema>;

export const UserSchema = z.object({
  name: z.string(),
  email: z.string().nullable(),
  platformAdmin: z.boolean(),
  disabled: z.boolean(),
  createdAt: Timestamp,
});
export type UserView = z.infer<typeof UserSchema>;

const userError = 'Send {"name": "alice", "email": "alice@example.com"} and optionally "password"';
export const CreateUserBody = z.object({
  name: Name,
  email: z.string(hint(userError)).min(3).max(254),
  password: z.string().min(1).max(1024).optional(),
}, hint(userError));

export const CreatedUserSchema = z.object({
  user: UserSchema,
  /** The generated password, this once; null when the caller gave one. */
  password: z.string().nullable(),
});
export type CreatedUser = z.infer<typeof CreatedUserSchema>;

const passwdError = 'Send {"current": "…", "password": "the new one"}';
export const ChangePasswordBody = z.object({
  current: z.string(hint(passwdError)).min(1, hint(passwdError)).max(1024),
  password: z.string(hint(passwdError)).min(1, hint(passwdError)).max(1024),
}, hint(passwdError));

export const PasswordChangedSchema = z.object({
  /** The user's other logins (CLI logins, console sessions) ended by the change. */
  loginsEnded: z.number().int(),
});
export type PasswordChanged = z.infer<typeof PasswordChangedSchema>;

export const ResetPasswordBody = z.object({
  /** Without one, a password is generated and returned once. */
  password: z.string().min(1).max(1024).optional(),
}, hint('Send {} for a generated password, or {"password": "…"}'));

export const PasswordResetSchema = z.object({
  user: z.string(),
  /** The generated password, this once; null when the caller gave one. */
  password: z.string().nullable(),
  /** The user's logins (CLI logins, console sessions) ended by the reset. */
  loginsEnded: z.number().int(),
});
export type PasswordReset = z.infer<typeof PasswordResetSchema>;

export const UserParams = z.object({ name: Name.describe('The user\'s name') });
export const UpdateUserBody = z.object({ disabled: z.boolean(hint('Send {"disabled": true} or {"disabled": false}')) }, hint('Send {"disabled": true} or {"disabled": false}'));

export const TokenSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['login', 'api']),
  description: z.string().nullable(),
  scope: TokenScopeSchema,
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  /** The token of this very request. */
  current: z.boolean(),
});
export type TokenView = z.infer<typeof TokenSchema>;

export const CreatedTokenSchema = TokenSchema.extend({ token: z.string().describe('The secret, shown this once') });
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;

/** At most ten years. */
const MAX_EXPIRY_SECONDS = 10 * 365 * 86_400;
export const CreateTokenBody = z.object({
  scope: TokenScopeSchema.optional(),
  description: z.string().max(200).optional(),
  expiresIn: z.number().int().positive().max(MAX_EXPIRY_SECONDS).optional().describe('Seconds from now; without it the token does not expire'),
});

export const TokenParams = z.object({ id: z.coerce.number().int().positive().describe('The token\'s id') });

export const TeamSchema = z.object({
  name: z.string(),
  /** The caller's role; null when a platform admin sees a team it is not a member of. */
  role: TeamRoleSchema.nullable(),
  personal: z.boolean(),
  memberPermissions: z.array(AppPermissionSchema),
  createdAt: Timestamp,
});
export type TeamView = z.infer<typeof TeamSchema>;

export const CreateTeamBody = z.object({ name: Name }, hint('Send {"name": "acme"}'));
export const TeamParams = z.object({ team: Name.describe('The team\'s name') });
const teamPermissionsError = 'Send {"memberPermissions": ["view", "deploy", "operate"]} (view is always given)';
export const UpdateTeamBody = z.object({
  /** What the team's members may do on each of its apps; view is always among them. */
  memberPermissions: z.array(AppPermissionSchema, hint(teamPermissionsError)),
}, hint(teamPermissionsError));
export const MemberParams = TeamParams.extend({ user: Name.describe('The member\'s user name') });

export const MemberSchema = z.object({ user: z.string(), role: TeamRoleSchema });
export type MemberView = z.infer<typeof MemberSchema>;

const roleError = 'Send {"user": "alice", "role": "admin" | "member" | "viewer"}';
export const AddMemberBody = z.object({ user: Name, role: TeamRoleSchema }, hint(roleError));
export const SetMemberBody = z.object({ role: TeamRoleSchema }, hint('Send {"role": "admin" | "member" | "viewer"}'));

export const AccessEntrySchema = z.object({
  user: z.string(),
  /** `team`: by the role in the app's team; `collaborator`: granted on this app alone. */
  via: z.enum(['team', 'collaborator']),
  role: TeamRoleSchema.nullable(),
  permissions: z.array(AppPermissionSchema),
});
export type AccessEntry = z.infer<typeof AccessEntrySchema>;

export const AppAccessSchema = z.object({ app: z.string(), team: z.string(), entries: z.array(AccessEntrySchema) });
export type AppAccess = z.infer<typeof AppAccessSchema>;

const accessError = 'Send {"user": "bob", "permissions": ["view", "deploy"]}';
export const AddAccessBody = z.object({ user: Name, permissions: z.array(AppPermissionSchema).min(1, hint(accessError)) }, hint(accessError));
export const AccessParams = AppParams.extend({ user: Name.describe('The collaborator\'s user name') });

export const TransferBody = z.object({ team: Name }, hint('Send {"team": "acme"}'));
export const TransferResultSchema = z.object({ app: z.string(), team: z.string() });

export const AuditEventSchema = z.object({
  id: z.number().int(),
  time: Timestamp,
  user: z.string().nullable(),
  via: z.enum(['token', 'session', 'ssh-key', 'password', 'platform']),
  /** The token's id or the SSH key's fingerprint: never a secret. */
  credential: z.string().nullable(),
  address: z.string().nullable(),
  action: z.string(),
  app: z.string().nullable(),
  team: z.string().nullable(),
  result: z.enum(['ok', 'refused', 'failed']),
  /** What changed, never a secret (config keys, not values); `reason` for a refusal. */
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditPageSchema = z.object({ events: z.array(AuditEventSchema), next: z.number().int().nullable() });
export type AuditPage = z.infer<typeof AuditPageSchema>;

const sinceError = 'since is a duration back from now (30m, 1h, 7d) or an ISO time (2026-12-05T10:00:00Z)';
export const AuditStreamQuery = z.object({
  app: z.string().min(1).max(100).optional(),
  team: Name.optional(),
  user: Name.optional(),
});
export const AuditQuery = AuditStreamQuery.extend({
  since: z.string().max(40).refine((v) => parseDuration(v) !== null || !Number.isNaN(Date.parse(v)), hint(sinceError)).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().positive().optional(),
});
