/**
 * Users, passwords, API tokens and SSH keys (issue 11 §1–2): who someone is, proved by a token, a
 * password or a key. What they may do is engine/policy.ts's business, through engine/access.ts.
 *
 * Every authentication reads the token (or key) and its user fresh from the store: a revoked
 * token or a disabled user stops working at once, on every replica, with nothing cached.
 * Every change is audited in the transaction that makes it.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { SlipwayError } from '../lib/errors';
import { parsePublicKey } from '../lib/ssh-keys';
import { assertEmail, assertUserName } from './account-names';
import type { AuditRecord, AuditTrail } from './audit';
import { LoginThrottle } from './login-throttle';
import { DEFAULT_MEMBER_PERMISSIONS, type ApiToken, type SshKey, type User, type UserAccount } from './model';
import { decoyHash, generatePassword, hashPassword, needsRehash, OWASP_SCRYPT, passwordProblem, verifyPassword, type ScryptParams } from './passwords';
import { PLATFORM, type Principal, type TokenScope, type UserPrincipal } from './principal';
import { DEFAULT_TEAM_NAME } from './store/migration-006';
import { IdentityRepo } from './store/identity-repo';
import { TeamsRepo } from './store/teams-repo';
import { scopeIncludes } from './token-scopes';

/** Tokens are 32 random bytes, so a plain SHA-256 is enough to store them safely (no guessing). */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `slp_${crypto.randomBytes(32).toString('base64url')}`;
}

/** What a token looks like: anything else is refused before the store is asked. */
const TOKEN_SHAPE = /^slp_[A-Za-z0-9_-]{43}$/;

/** A throttled login: 429 with when to try again (the API sends it as Retry-After too). */
export class LoginThrottledError extends SlipwayError {
  constructor(readonly retryAt: Date, readonly retryAfterSeconds: number) {
    super('login_throttled', `Too many failed logins for this user or from this address: try again in ${retryAfterSeconds} s (at ${retryAt.toISOString()}).`);
  }
}

export interface IdentityOptions {
  clock?: () => Date;
  /** scrypt's cost; tests lower it, production keeps OWASP's. */
  passwordParams?: ScryptParams;
  throttle?: LoginThrottle;
  /** How long a token made by `slipway login` lasts. */
  loginTokenLifetimeMs?: number;
}

export interface NewUserInput {
  name: string;
  email?: string | null;
  /** Without one, a password is generated and returned once. */
  password?: string | null;
  platformAdmin?: boolean;
}

export interface CreatedUser {
  user: UserAccount;
  /** The generated password, to show once; null when the caller gave one. */
  generatedPassword: string | null;
}

export interface NewTokenInput {
  scope?: TokenScope;
  expiresAt?: Date | null;
  description?: string | null;
}

export interface IssuedToken {
  /** The secret: shown once, stored only as its hash. */
  token: string;
  record: ApiToken;
}

export interface LoginResult extends IssuedToken {
  user: UserAccount;
}

export interface BootstrappedAdmin {
  user: User;
  token: string;
  password: string;
}

/** `slipway login` tokens last 30 days, as Heroku's CLI sessions do by default. */
const LOGIN_TOKEN_LIFETIME_MS = 30 * 86_400_000;
/** last_used_at is written at most once a minute per token: not a write per request. */
const TOUCH_INTERVAL_MS = 60_000;
const LOGIN_HINT = 'Run `slipway login` again, or create a new token with `slipway tokens:create`.';

export class IdentityService {
  private readonly clock: () => Date;
  private readonly passwordParams: ScryptParams;
  private readonly throttle: LoginThrottle;
  private readonly loginTokenLifetimeMs: number;
  private readonly repo: IdentityRepo;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditTrail,
    options: IdentityOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.passwordParams = options.passwordParams ?? OWASP_SCRYPT;
    this.throttle = options.throttle ?? new LoginThrottle(undefined, () => this.clock().getTime());
    this.loginTokenLifetimeMs = options.loginTokenLifetimeMs ?? LOGIN_TOKEN_LIFETIME_MS;
    this.repo = new IdentityRepo(db);
  }

  /**
   * The first start (scripts/up): creates the platform admin with a personal team, a token of
   * full power and a generated password, all returned once. Null when users exist already.
   */
  async bootstrapAdmin(name = 'admin'): Promise<BootstrappedAdmin | null> {
    if ((await this.repo.countUsers()) > 0) return null;
    const token = newToken();
    const password = generatePassword();
    const passwordHash = await hashPassword(password, this.passwordParams);
    const user = await this.db.transaction(async (trx) => {
      const created = await this.insertUser(trx, { name, email: null, passwordHash, platformAdmin: true });
      await new IdentityRepo(trx).createToken({
        userId: created.id, tokenHash: hashToken(token), kind: 'api', scope: 'admin', description: 'Created by scripts/up', expiresAt: null,
      }, this.clock());
      // Apps of a database that had no user (migration 006) wait in the default team for an admin.
      const teams = new TeamsRepo(trx);
      const orphans = await teams.find(DEFAULT_TEAM_NAME);
      if (orphans && (await teams.members(orphans.id)).length === 0) await teams.setMember(orphans.id, created.id, 'admin', this.clock());
      await this.audit.record({ principal: PLATFORM, action: 'user:create', team: name, detail: { user: name, platformAdmin: true } }, trx);
      return created;
    });
    return { user: { id: user.id, name: user.name }, token, password };
  }

  /** users:create (a platform admin): the user, its personal team, and a generated password when none is given. */
  async createUser(actor: Principal, input: NewUserInput): Promise<CreatedUser> {
    assertUserName(input.name);
    const email = input.email?.trim() || null;
    if (email !== null) assertEmail(email);
    let generatedPassword: string | null = null;
    let password = input.password ?? null;
    if (password === null) {
      generatedPassword = generatePassword();
      password = generatedPassword;
    } else {
      const problem = passwordProblem(password);
      if (problem) throw new SlipwayError('invalid_password', `That password cannot be used: ${problem}.`);
    }
    const passwordHash = await hashPassword(password, this.passwordParams);
    const user = await this.db.transaction(async (trx) => {
      const created = await this.insertUser(trx, { name: input.name, email, passwordHash, platformAdmin: input.platformAdmin ?? false });
      await this.audit.record({ principal: actor, action: 'user:create', team: created.name,
        detail: { user: created.name, platformAdmin: created.platformAdmin } }, trx);
      return created;
    });
    return { user, generatedPassword };
  }

  /** The user row and its personal team, named after it (a team of that name already taken refuses the user). */
  private async insertUser(trx: Knex.Transaction, user: { name: string; email: string | null; passwordHash: string | null; platformAdmin: boolean }): Promise<UserAccount> {
    const teams = new TeamsRepo(trx);
    if (await teams.find(user.name)) {
      throw new SlipwayError('user_exists', `"${user.name}" is already the name of a team, and every user gets a personal team of their name: pick another user name.`);
    }
    const created = await new IdentityRepo(trx).createUser(user, this.clock());
    const team = await teams.create(user.name, true, DEFAULT_MEMBER_PERMISSIONS, this.clock());
    await teams.setMember(team.id, created.id, 'admin', this.clock());
    return created;
  }

  listUsers(): Promise<UserAccount[]> {
    return this.repo.listUsers();
  }

  async getUser(name: string): Promise<UserAccount> {
    const user = await this.repo.userByName(name);
    if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${name}". Run \`slipway users\` to list them.`);
    return user;
  }

  /** The account of the principal (`auth:whoami`). */
  async whoami(principal: UserPrincipal): Promise<UserAccount> {
    const user = await this.repo.userById(principal.userId);
    if (!user) throw new SlipwayError('unauthorized', `Your user does not exist any more. ${LOGIN_HINT}`);
    return user;
  }

  /**
   * users:disable: the user's tokens, keys and sessions stop working at once (every authentication
   * reads the user). The last enabled platform admin cannot be disabled (nobody could undo it).
   */
  async disableUser(actor: Principal, name: string): Promise<UserAccount> {
    return this.db.transaction(async (trx) => {
      const repo = new IdentityRepo(trx);
      const user = await repo.userByName(name);
      if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${name}". Run \`slipway users\` to list them.`);
      if (user.disabledAt) return user;
      if (user.platformAdmin) {
        const admins = (await repo.listUsers()).filter((u) => u.platformAdmin && !u.disabledAt);
        if (admins.length <= 1) throw new SlipwayError('forbidden', `${name} is the last platform admin: make another user platform admin before disabling this one.`);
      }
      const now = this.clock();
      await repo.setDisabled(user.id, now);
      await this.audit.record({ principal: actor, action: 'user:disable', detail: { user: name } }, trx);
      return { ...user, disabledAt: now };
    });
  }

  /** users:enable: the user's keys and unexpired, unrevoked tokens work again. */
  async enableUser(actor: Principal, name: string): Promise<UserAccount> {
    return this.db.transaction(async (trx) => {
      const repo = new IdentityRepo(trx);
      const user = await repo.userByName(name);
      if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${name}". Run \`slipway users\` to list them.`);
      await repo.setDisabled(user.id, null);
      await this.audit.record({ principal: actor, action: 'user:enable', detail: { user: name } }, trx);
      return { ...user, disabledAt: null };
    });
  }

  /**
   * `auth:passwd`: a user changes their own password, proving the current one (throttled like a
   * login: a stolen token must not become a way to guess it). Their other logins and console
   * sessions end; the one in use and their API tokens are kept.
   */
  async changePassword(principal: UserPrincipal, current: string, next: string): Promise<{ loginsEnded: number }> {
    const address = principal.address ?? null;
    const decision = this.throttle.check(principal.userName, address);
    if (!decision.allowed) throw new LoginThrottledError(decision.retryAt, decision.retryAfterSeconds);
    const stored = await this.repo.passwordHash(principal.userId);
    if (stored === null || !(await verifyPassword(current, stored))) {
      this.throttle.failure(principal.userName, address);
      await this.audit.record({ principal, action: 'user:password', result: 'refused', detail: { reason: 'wrong current password' } });
      throw new SlipwayError('wrong_password', stored === null
        ? 'You have no password yet, so there is none to change: ask a platform admin to run `slipway users:reset-password` for you.'
        : 'The current password is wrong: nothing was changed.');
    }
    this.throttle.success(principal.userName);
    const keep = Number(principal.credential);
    const loginsEnded = await this.replacePassword(principal.userId, next, Number.isInteger(keep) ? keep : null,
      (ended) => ({ principal, action: 'user:password', detail: { loginsEnded: ended } }));
    return { loginsEnded };
  }

  /**
   * `users:reset-password` (a platform admin): a new password, given or generated (returned once),
   * and every login and console session of the user ends. Their API tokens and keys are kept:
   * disable the user to stop those.
   */
  async resetPassword(actor: Principal, name: string, password: string | null): Promise<{ user: UserAccount; generatedPassword: string | null; loginsEnded: number }> {
    const user = await this.repo.userByName(name);
    if (!user) throw new SlipwayError('user_not_found', `Couldn't find a user named "${name}". Run \`slipway users\` to list them.`);
    const next = password ?? generatePassword();
    const loginsEnded = await this.replacePassword(user.id, next, null,
      (ended) => ({ principal: actor, action: 'user:password-reset', detail: { user: name, loginsEnded: ended } }));
    return { user, generatedPassword: password === null ? next : null, loginsEnded };
  }

  /**
   * Stores `next` as the user's password and revokes their login tokens but `keep`, audited in the
   * same transaction; how many logins ended. A password too short or long changes nothing.
   */
  private async replacePassword(userId: number, next: string, keep: number | null, audit: (loginsEnded: number) => AuditRecord): Promise<number> {
    const problem = passwordProblem(next);
    if (problem) throw new SlipwayError('invalid_password', `That password cannot be used: ${problem}. Nothing was changed.`);
    const hash = await hashPassword(next, this.passwordParams);
    return this.db.transaction(async (trx) => {
      const repo = new IdentityRepo(trx);
      await repo.setPasswordHash(userId, hash);
      const loginsEnded = await repo.revokeLoginTokensOf(userId, keep, this.clock());
      await this.audit.record(audit(loginsEnded), trx);
      return loginsEnded;
    });
  }

  /**
   * `slipway login`: checks the password (throttled per user and per address) and makes a login
   * token for the CLI to store. A wrong name and a wrong password are the same refusal, in about
   * the same time (a decoy hash is checked when the name is unknown).
   */
  async login(name: string, password: string, address: string | null = null, description: string | null = null): Promise<LoginResult> {
    const decision = this.throttle.check(name, address);
    if (!decision.allowed) {
      await this.audit.record({ principal: { kind: 'anonymous', userName: name, address }, action: 'login', result: 'refused', detail: { reason: 'throttled' } });
      throw new LoginThrottledError(decision.retryAt, decision.retryAfterSeconds);
    }
    const user = await this.repo.userByName(name);
    const stored = user ? await this.repo.passwordHash(user.id) : null;
    const ok = await verifyPassword(password, stored ?? await decoyHash(this.passwordParams)) && stored !== null;
    if (!user || !ok) {
      this.throttle.failure(name, address);
      await this.audit.record({ principal: { kind: 'anonymous', userName: name, userId: user?.id ?? null, address }, action: 'login', result: 'refused',
        detail: { reason: 'wrong name or password' } });
      throw new SlipwayError('login_failed', 'Wrong user name or password. Check both and try again; after several failures, logins are slowed down.');
    }
    this.throttle.success(name);
    if (user.disabledAt) {
      await this.audit.record({ principal: { kind: 'anonymous', userName: name, userId: user.id, address }, action: 'login', result: 'refused', detail: { reason: 'disabled' } });
      throw new SlipwayError('user_disabled', `The user ${name} is disabled: ask a platform admin to enable it.`);
    }
    if (needsRehash(stored!, this.passwordParams)) await this.repo.setPasswordHash(user.id, await hashPassword(password, this.passwordParams));
    const token = newToken();
    const now = this.clock();
    const record = await this.db.transaction(async (trx) => {
      const created = await new IdentityRepo(trx).createToken({
        userId: user.id, tokenHash: hashToken(token), kind: 'login', scope: 'admin',
        description: description?.slice(0, 200) || 'slipway login', expiresAt: new Date(now.getTime() + this.loginTokenLifetimeMs),
      }, now);
      await this.audit.record({ principal: userPrincipal(user, 'token', String(created.id), address), action: 'login', detail: { tokenId: created.id } }, trx);
      return created;
    });
    return { token, record, user };
  }

  /** `slipway logout`: the token the principal used stops working. */
  async logout(principal: UserPrincipal): Promise<void> {
    if (principal.via !== 'token') return;
    const id = Number(principal.credential);
    await this.db.transaction(async (trx) => {
      await new IdentityRepo(trx).revokeToken(id, this.clock());
      await this.audit.record({ principal, action: 'logout', detail: { tokenId: id } }, trx);
    });
  }

  /**
   * The principal a bearer token stands for, or a 401: unauthorized (unknown), token_revoked,
   * token_expired, user_disabled. Read fresh every time.
   */
  async authenticate(token: string, address?: string): Promise<UserPrincipal> {
    if (!TOKEN_SHAPE.test(token)) throw new SlipwayError('unauthorized', `This API token is not valid. ${LOGIN_HINT}`);
    const found = await this.repo.tokenByHash(hashToken(token));
    if (!found) throw new SlipwayError('unauthorized', `This API token is not valid. ${LOGIN_HINT}`);
    const now = this.clock();
    if (found.token.revokedAt) throw new SlipwayError('token_revoked', `This API token was revoked. ${LOGIN_HINT}`);
    if (found.token.expiresAt && found.token.expiresAt.getTime() <= now.getTime()) {
      throw new SlipwayError('token_expired', `This API token expired at ${found.token.expiresAt.toISOString()}. ${LOGIN_HINT}`);
    }
    if (found.user.disabledAt) throw new SlipwayError('user_disabled', `The user ${found.user.name} is disabled: ask a platform admin to enable it.`);
    if (!found.token.lastUsedAt || now.getTime() - found.token.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.repo.touchToken(found.token.id, now);
    }
    return { ...userPrincipal(found.user, 'token', String(found.token.id), address ?? null), scope: found.token.scope };
  }

  /** The principal an SSH key stands for (a push, `ssh … run`), or a 401 (unknown key, disabled user). Read fresh every time. */
  async authenticateKey(fingerprint: string, address?: string): Promise<UserPrincipal> {
    const found = await this.repo.keyOwner(fingerprint);
    if (!found) throw new SlipwayError('unauthorized', `The SSH key ${fingerprint} is not registered. Add it with \`slipway keys:add\`.`);
    if (found.user.disabledAt) throw new SlipwayError('user_disabled', `The user ${found.user.name} is disabled: ask a platform admin to enable it.`);
    return userPrincipal(found.user, 'ssh-key', fingerprint, address ?? null);
  }

  /** tokens:create. A token never gets a wider scope than the token that creates it. */
  async createToken(principal: UserPrincipal, input: NewTokenInput = {}): Promise<IssuedToken> {
    const scope = input.scope ?? 'admin';
    if (!scopeIncludes(principal.scope, scope)) {
      throw new SlipwayError('invalid_token_request', `A ${principal.scope} token cannot create a ${scope} token: use a token of scope ${scope} or more.`);
    }
    const now = this.clock();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new SlipwayError('invalid_token_request', 'The expiry must be in the future.');
    const description = input.description?.trim().slice(0, 200) || null;
    const token = newToken();
    const record = await this.db.transaction(async (trx) => {
      const created = await new IdentityRepo(trx).createToken({ userId: principal.userId, tokenHash: hashToken(token), kind: 'api', scope, description, expiresAt }, now);
      await this.audit.record({ principal, action: 'token:create',
        detail: { tokenId: created.id, scope, expiresAt: expiresAt?.toISOString() ?? null } }, trx);
      return created;
    });
    return { token, record };
  }

  /** `tokens`: the principal's own tokens, newest first, never their secrets. */
  tokens(principal: UserPrincipal): Promise<ApiToken[]> {
    return this.repo.tokensOf(principal.userId);
  }

  /** tokens:revoke ID: one's own token (a platform admin: anyone's). */
  async revokeToken(principal: UserPrincipal, id: number): Promise<ApiToken> {
    return this.db.transaction(async (trx) => {
      const repo = new IdentityRepo(trx);
      const token = await repo.tokenById(id);
      if (!token || (token.userId !== principal.userId && !principal.platformAdmin)) {
        throw new SlipwayError('token_not_found', `You have no token with id ${id}. Run \`slipway tokens\` to list them.`);
      }
      const now = this.clock();
      await repo.revokeToken(id, now);
      await this.audit.record({ principal, action: 'token:revoke', detail: { tokenId: id } }, trx);
      return { ...token, revokedAt: token.revokedAt ?? now };
    });
  }

  /** Adds an SSH key to `user` (the caller's own, or any user's for a platform admin). */
  async addKey(user: User, publicKey: string, name?: string, actor: Principal = PLATFORM): Promise<SshKey> {
    const parsed = parsePublicKey(publicKey);
    const label = name?.trim() || parsed.comment || parsed.type;
    return this.db.transaction(async (trx) => {
      const key = await new IdentityRepo(trx).addKey(user.id, label, parsed.fingerprint, parsed.line, this.clock());
      await this.audit.record({ principal: actor, action: 'key:add', detail: { user: user.name, fingerprint: key.fingerprint, name: label } }, trx);
      return key;
    });
  }

  /** The keys `viewer` may see: a user their own, a platform admin (or the platform) all. */
  keys(viewer: Principal = PLATFORM): Promise<SshKey[]> {
    return this.repo.keys(ownerScope(viewer));
  }

  /** Removes a key `viewer` may see (by id or fingerprint); another user's key is "not found". */
  async removeKey(idOrFingerprint: string, viewer: Principal = PLATFORM): Promise<void> {
    await this.db.transaction(async (trx) => {
      const key = await new IdentityRepo(trx).removeKey(idOrFingerprint, ownerScope(viewer));
      await this.audit.record({ principal: viewer, action: 'key:remove', detail: { fingerprint: key.fingerprint, name: key.name } }, trx);
    });
  }

  /** The id (as text) of the key's user, or null for an unknown key or a disabled user. Kept for the SSH server from before issue 11. */
  async userForFingerprint(fingerprint: string): Promise<string | null> {
    const found = await this.repo.keyOwner(fingerprint);
    return found && !found.user.disabledAt ? String(found.user.id) : null;
  }
}

function ownerScope(viewer: Principal): number | null {
  return viewer.kind === 'platform' || viewer.platformAdmin ? null : viewer.userId;
}

/** A user's principal with the full power of the user (scope admin); tokens narrow it. */
export function userPrincipal(user: UserAccount, via: UserPrincipal['via'], credential: string, address: string | null): UserPrincipal {
  return {
    kind: 'user', userId: user.id, userName: user.name, platformAdmin: user.platformAdmin, scope: 'admin', via, credential,
    ...(address ? { address } : {}),
  };
}
