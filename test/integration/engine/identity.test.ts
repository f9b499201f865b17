/**
 * Users, passwords, tokens, keys, teams, collaborators and the audit log (issue 11), on the real
 * store: the same cases on SQLite and on MariaDB (a contract suite), each on a fresh database.
 */
import { expect } from 'chai';
import { SlipwayError, type ErrorCode } from '../../../lib/errors';
import { LoginThrottledError } from '../../../engine/identity-service';
import { createIdentityServices, type IdentityServices } from '../../../engine/identity-services';
import { LoginThrottle } from '../../../engine/login-throttle';
import { PLATFORM, type UserPrincipal } from '../../../engine/principal';
import type { AuditEntry } from '../../../engine/audit';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { BuildsRepo } from '../../../engine/store/builds-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { ReleasesRepo } from '../../../engine/store/releases-repo';
import { TeamsRepo } from '../../../engine/store/teams-repo';
import { backends, type TestDatabase } from '../../support/databases';

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code, (error as Error).message).to.equal(code);
    return error as SlipwayError;
  }
  throw new Error(`expected a ${code} error`);
}

/** scrypt at a low cost: these tests are about the flows, passwords.test.ts about the cost. */
const CHEAP = { ln: 10, r: 8, p: 1 };
const THROTTLE = { freeFailuresPerUser: 2, freeFailuresPerAddress: 50, baseDelayMs: 10_000, maxDelayMs: 600_000, forgetAfterMs: 3_600_000, maxEntries: 1000 };

for (const backend of backends) describe(`engine identity services on ${backend.name}`, () => {
  let testDb: TestDatabase | null = null;
  let db: Database | null = null;
  let s: IdentityServices;
  let now: number;
  let setupError: unknown = null;
  const clock = () => new Date(now);

  beforeEach(async () => {
    setupError = null;
    now = Date.parse('2026-03-01T12:00:00.000Z');
    try {
      testDb = await backend.create();
      db = await openDatabase(testDb.url);
    } catch (error) {
      setupError = error;
      return;
    }
    s = createIdentityServices(db, { clock, passwordParams: CHEAP, throttle: new LoginThrottle(THROTTLE, () => now) });
  });

  afterEach(async () => {
    await db?.destroy();
    await testDb?.drop();
    db = null;
    testDb = null;
  });

  function it(title: string, test: () => Promise<void>): void {
    globalThis.it(title, async () => {
      if (setupError) throw setupError;
      await test();
    });
  }

  function store(): Database {
    if (!db) throw new Error('no database open');
    return db;
  }

  async function admin(): Promise<UserPrincipal> {
    const made = await s.identity.bootstrapAdmin();
    if (!made) throw new Error('no admin made');
    return s.identity.authenticate(made.token, '127.0.0.1');
  }

  /** A user with a password, logged in: the principal of its login token. */
  async function user(name: string, by: UserPrincipal): Promise<UserPrincipal> {
    await s.identity.createUser(by, { name, email: `${name}@example.com`, password: `${name}-password-1` });
    const login = await s.identity.login(name, `${name}-password-1`, '10.0.0.1');
    return s.identity.authenticate(login.token, '10.0.0.1');
  }

  async function auditActions(): Promise<string[]> {
    return (await s.audit.query(PLATFORM, {}, 500)).entries.map((e) => `${e.action}:${e.result}`).reverse();
  }

  describe('the first admin', () => {
    it('is made once, platform admin with a personal team, with a token and a password that both work', async () => {
      const made = await s.identity.bootstrapAdmin();
      expect(made?.user.name).to.equal('admin');
      expect(made?.token).to.match(/^slp_[A-Za-z0-9_-]{43}$/);
      expect(await s.identity.bootstrapAdmin()).to.equal(null);

      const principal = await s.identity.authenticate(made!.token);
      expect(principal).to.include({ kind: 'user', userName: 'admin', platformAdmin: true, scope: 'admin', via: 'token' });
      const login = await s.identity.login('admin', made!.password, '127.0.0.1');
      expect(login.user.platformAdmin).to.equal(true);
      expect((await s.teams.teams(principal)).map((t) => [t.name, t.personal, t.role])).to.deep.equal([['admin', true, 'admin']]);
      expect(await auditActions()).to.deep.equal(['user:create:ok', 'login:ok']);
    });

    it('adopts the apps made before any user (the default team)', async () => {
      const apps = new AppsRepo(store());
      const early = await apps.create('early');
      const principal = await admin();
      const teams = await s.teams.teams(principal);
      expect(teams.map((t) => [t.name, t.role])).to.deep.equal([['admin', 'admin'], ['default', 'admin']]);
      expect((await new TeamsRepo(store()).teamOfApp(early.id)).name).to.equal('default');
      // Apps made afterwards without a team go to the admin's personal team, as migration 006 placed them.
      const later = await apps.create('later');
      expect((await new TeamsRepo(store()).teamOfApp(later.id)).name).to.equal('admin');
    });
  });

  describe('users', () => {
    it('creates a user with a personal team, a generated password shown once that logs in, and lists it', async () => {
      const root = await admin();
      const created = await s.identity.createUser(root, { name: 'alice', email: 'alice@example.com' });
      expect(created.generatedPassword).to.be.a('string').with.length(24);
      expect(created.user).to.include({ name: 'alice', email: 'alice@example.com', platformAdmin: false, disabledAt: null });
      const login = await s.identity.login('alice', created.generatedPassword!, '10.0.0.1');
      expect(login.record).to.include({ kind: 'login', scope: 'admin' });
      expect(login.record.expiresAt?.getTime()).to.equal(now + 30 * 86_400_000);
      const alice = await s.identity.authenticate(login.token);
      expect((await s.teams.teams(alice)).map((t) => [t.name, t.personal, t.role])).to.deep.equal([['alice', true, 'admin']]);
      expect((await s.identity.listUsers()).map((u) => u.name)).to.deep.equal(['admin', 'alice']);
      expect(JSON.stringify(await s.identity.listUsers())).to.not.match(/scrypt/);
    });

    it('refuses a taken name or email, a team\'s name, an invalid name or email, and a short password', async () => {
      const root = await admin();
      await s.identity.createUser(root, { name: 'alice', email: 'alice@example.com', password: 'long enough password' });
      await rejection(s.identity.createUser(root, { name: 'alice' }), 'user_exists');
      await rejection(s.identity.createUser(root, { name: 'bob', email: 'alice@example.com' }), 'user_exists');
      await s.teams.createTeam(root, 'acme');
      await rejection(s.identity.createUser(root, { name: 'acme' }), 'user_exists');
      await rejection(s.identity.createUser(root, { name: 'Bad Name' }), 'invalid_user_name');
      await rejection(s.identity.createUser(root, { name: 'carol', email: 'not-an-email' }), 'invalid_email');
      await rejection(s.identity.createUser(root, { name: 'carol', password: 'short' }), 'invalid_password');
      expect((await s.identity.listUsers()).map((u) => u.name)).to.deep.equal(['admin', 'alice']);
    });

    it('stops a disabled user\'s tokens and keys at once, and lets them work again when enabled', async () => {
      const root = await admin();
      await s.identity.createUser(root, { name: 'alice', password: 'alice-password-1' });
      const login = await s.identity.login('alice', 'alice-password-1');
      const alice = await s.identity.authenticate(login.token);
      const key = await s.identity.addKey({ id: alice.userId, name: 'alice' }, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop', undefined, alice);
      expect(await s.identity.authenticateKey(key.fingerprint)).to.include({ userName: 'alice', via: 'ssh-key', credential: key.fingerprint });

      await s.identity.disableUser(root, 'alice');
      const error = await rejection(s.identity.authenticate(login.token), 'user_disabled');
      expect(error.status).to.equal(401);
      await rejection(s.identity.authenticateKey(key.fingerprint), 'user_disabled');
      expect(await s.identity.userForFingerprint(key.fingerprint)).to.equal(null);
      await rejection(s.identity.login('alice', 'alice-password-1'), 'user_disabled');

      await s.identity.enableUser(root, 'alice');
      expect((await s.identity.authenticate(login.token)).userName).to.equal('alice');
      expect(await s.identity.userForFingerprint(key.fingerprint)).to.equal(String(alice.userId));
    });

    it('refuses to disable the last platform admin', async () => {
      const root = await admin();
      await rejection(s.identity.disableUser(root, 'admin'), 'forbidden');
      await rejection(s.identity.disableUser(root, 'ghost'), 'user_not_found');
    });
  });

  describe('login', () => {
    it('refuses a wrong password and an unknown user alike, audited as refused', async () => {
      const root = await admin();
      await s.identity.createUser(root, { name: 'alice', password: 'alice-password-1' });
      const wrong = await rejection(s.identity.login('alice', 'alice-password-2', '10.0.0.1'), 'login_failed');
      const unknown = await rejection(s.identity.login('nobody', 'alice-password-1', '10.0.0.1'), 'login_failed');
      expect(wrong.status).to.equal(401);
      expect(wrong.message).to.equal(unknown.message);
      const refused = (await s.audit.query(PLATFORM, {})).entries.filter((e) => e.action === 'login');
      expect(refused.map((e) => [e.userName, e.result, e.via, e.address])).to.deep.equal([
        ['nobody', 'refused', 'password', '10.0.0.1'], ['alice', 'refused', 'password', '10.0.0.1'],
      ]);
    });

    it('slows down repeated failures with 429 login_throttled saying when to retry, and lets the right password in after the wait', async () => {
      const root = await admin();
      await s.identity.createUser(root, { name: 'alice', password: 'alice-password-1' });
      for (let i = 0; i < 3; i++) await rejection(s.identity.login('alice', 'guess', '10.0.0.9'), 'login_failed');
      const throttled = await rejection(s.identity.login('alice', 'alice-password-1', '10.0.0.9'), 'login_throttled');
      expect(throttled.status).to.equal(429);
      expect(throttled).to.be.instanceOf(LoginThrottledError);
      expect((throttled as LoginThrottledError).retryAfterSeconds).to.equal(10);
      expect(throttled.message).to.include('try again in 10 s');
      now += 10_000;
      expect((await s.identity.login('alice', 'alice-password-1', '10.0.0.9')).user.name).to.equal('alice');
      // The success cleared the user's count.
      await rejection(s.identity.login('alice', 'guess', '10.0.0.9'), 'login_failed');
      expect((await s.identity.login('alice', 'alice-password-1', '10.0.0.9')).user.name).to.equal('alice');
    });

    it('logout revokes the login token', async () => {
      const root = await admin();
      await s.identity.createUser(root, { name: 'alice', password: 'alice-password-1' });
      const login = await s.identity.login('alice', 'alice-password-1');
      const alice = await s.identity.authenticate(login.token);
      await s.identity.logout(alice);
      await rejection(s.identity.authenticate(login.token), 'token_revoked');
      expect((await s.identity.tokens(alice)).map((t) => t.revokedAt?.getTime())).to.deep.equal([now]);
    });
  });

  describe('passwords', () => {
    it('changes a password proving the current one: the new one logs in, the old does not, other logins end, the one in use and API tokens stay', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const other = await s.identity.login('alice', 'alice-password-1', '10.0.0.2');
      const api = await s.identity.createToken(alice, { scope: 'deploy' });
      const changed = await s.identity.changePassword(alice, 'alice-password-1', 'alice-password-2');
      expect(changed).to.deep.equal({ loginsEnded: 1 });
      await rejection(s.identity.login('alice', 'alice-password-1'), 'login_failed');
      expect((await s.identity.login('alice', 'alice-password-2')).user.name).to.equal('alice');
      expect((await s.identity.authenticate(api.token)).userName).to.equal('alice');
      await rejection(s.identity.authenticate(other.token), 'token_revoked');
      expect((await s.identity.whoami(alice)).name).to.equal('alice');
      const audited = (await s.audit.query(PLATFORM, {})).entries.find((e) => e.action === 'user:password');
      expect(audited).to.include({ userName: 'alice', result: 'ok' });
      expect(JSON.stringify(audited)).to.not.include('password-2');
    });

    it('refuses a wrong current password (audited, throttled like a login) and a short new one, changing nothing', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const wrong = await rejection(s.identity.changePassword(alice, 'not-it-at-all', 'alice-password-2'), 'wrong_password');
      expect(wrong.status).to.equal(403);
      await rejection(s.identity.changePassword(alice, 'alice-password-1', 'short'), 'invalid_password');
      // The right current password (with the short new one) cleared the count: three more failures.
      for (let i = 0; i < 3; i++) await rejection(s.identity.changePassword(alice, 'guess', 'alice-password-2'), 'wrong_password');
      await rejection(s.identity.changePassword(alice, 'alice-password-1', 'alice-password-2'), 'login_throttled');
      now += 10_000;
      expect((await s.identity.login('alice', 'alice-password-1')).user.name).to.equal('alice');
      expect((await s.audit.query(PLATFORM, {})).entries.filter((e) => e.action === 'user:password').map((e) => e.result))
        .to.deep.equal(['refused', 'refused', 'refused', 'refused']);
    });

    it('resets a user\'s password (generated, shown once, or given): all their logins end, API tokens stay; unknown users and short passwords refused', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const api = await s.identity.createToken(alice, { scope: 'read' });
      const login = await s.identity.login('alice', 'alice-password-1');
      const reset = await s.identity.resetPassword(root, 'alice', null);
      expect(reset.generatedPassword).to.be.a('string').with.length(24);
      expect(reset.loginsEnded).to.equal(2);
      await rejection(s.identity.authenticate(login.token), 'token_revoked');
      await rejection(s.identity.login('alice', 'alice-password-1'), 'login_failed');
      expect((await s.identity.login('alice', reset.generatedPassword!)).user.name).to.equal('alice');
      expect((await s.identity.authenticate(api.token)).userName).to.equal('alice');
      expect((await s.identity.resetPassword(root, 'alice', 'chosen-password-1')).generatedPassword).to.equal(null);
      expect((await s.identity.login('alice', 'chosen-password-1')).user.name).to.equal('alice');
      await rejection(s.identity.resetPassword(root, 'ghost', null), 'user_not_found');
      await rejection(s.identity.resetPassword(root, 'alice', 'short'), 'invalid_password');
      const audited = (await s.audit.query(PLATFORM, {})).entries.filter((e) => e.action === 'user:password-reset');
      expect(audited.map((e) => e.userName)).to.deep.equal(['admin', 'admin']);
      expect(JSON.stringify(audited)).to.not.include('chosen-password');
    });
  });

  describe('tokens', () => {
    it('creates a token shown once with a scope, an expiry and a description, and lists it without its secret', async () => {
      const root = await admin();
      const issued = await s.identity.createToken(root, { scope: 'read', description: 'CI', expiresAt: new Date(now + 3_600_000) });
      expect(issued.token).to.match(/^slp_/);
      expect(issued.record).to.include({ scope: 'read', description: 'CI', kind: 'api' });
      const principal = await s.identity.authenticate(issued.token);
      expect(principal).to.include({ scope: 'read', credential: String(issued.record.id) });
      const listed = await s.identity.tokens(root);
      expect(listed.map((t) => t.id)).to.include(issued.record.id);
      expect(JSON.stringify(listed)).to.not.include(issued.token);
      expect(JSON.stringify(listed)).to.not.include('token_hash');
      expect(listed.find((t) => t.id === issued.record.id)?.lastUsedAt?.getTime()).to.equal(now);
    });

    it('refuses a token wider than the one creating it', async () => {
      const root = await admin();
      const deploy = await s.identity.authenticate((await s.identity.createToken(root, { scope: 'deploy' })).token);
      await rejection(s.identity.createToken(deploy, { scope: 'admin' }), 'invalid_token_request');
      expect((await s.identity.createToken(deploy, { scope: 'read' })).record.scope).to.equal('read');
    });

    it('refuses an expired token (token_expired), a revoked one (token_revoked) and an unknown one, each a 401 saying what to do', async () => {
      const root = await admin();
      const expiring = await s.identity.createToken(root, { expiresAt: new Date(now + 60_000) });
      now += 60_000;
      const expired = await rejection(s.identity.authenticate(expiring.token), 'token_expired');
      expect(expired.status).to.equal(401);
      expect(expired.message).to.include('slipway login');

      const revoking = await s.identity.createToken(root);
      await s.identity.revokeToken(root, revoking.record.id);
      const revoked = await rejection(s.identity.authenticate(revoking.token), 'token_revoked');
      expect(revoked.message).to.include('tokens:create');

      const unknown = await rejection(s.identity.authenticate(`slp_${'A'.repeat(43)}`), 'unauthorized');
      expect(unknown.status).to.equal(401);
      await rejection(s.identity.authenticate('not a token'), 'unauthorized');
    });

    it('lets a user revoke only their own tokens', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const bob = await user('bob', root);
      const bobs = await s.identity.createToken(bob);
      await rejection(s.identity.revokeToken(alice, bobs.record.id), 'token_not_found');
      expect((await s.identity.authenticate(bobs.token)).userName).to.equal('bob');
      await s.identity.revokeToken(root, bobs.record.id); // a platform admin may
      await rejection(s.identity.authenticate(bobs.token), 'token_revoked');
    });
  });

  describe('SSH keys', () => {
    it('shows and removes only the user\'s own keys (a platform admin: all)', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const bob = await user('bob', root);
      const key = await s.identity.addKey({ id: alice.userId, name: 'alice' }, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl laptop', undefined, alice);
      expect((await s.identity.keys(alice)).map((k) => k.id)).to.deep.equal([key.id]);
      expect(await s.identity.keys(bob)).to.deep.equal([]);
      expect((await s.identity.keys(root)).map((k) => k.id)).to.deep.equal([key.id]);
      await rejection(s.identity.removeKey(String(key.id), bob), 'key_not_found');
      await s.identity.removeKey(key.fingerprint, alice);
      expect(await s.identity.keys(root)).to.deep.equal([]);
    });
  });

  describe('teams', () => {
    it('makes the creator admin, lists a user\'s teams (a platform admin: all), and keeps a last admin', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      await user('bob', root);
      const team = await s.teams.createTeam(alice, 'acme');
      expect(team).to.include({ name: 'acme', personal: false });
      expect(team.memberPermissions).to.deep.equal(['view', 'deploy', 'operate']);
      await rejection(s.teams.createTeam(alice, 'acme'), 'team_exists');
      await rejection(s.teams.createTeam(alice, 'bob'), 'team_exists');
      await rejection(s.teams.createTeam(alice, 'Not_A_Name'), 'invalid_team_name');

      await s.teams.addMember(alice, 'acme', 'bob', 'viewer');
      await rejection(s.teams.addMember(alice, 'acme', 'bob', 'member'), 'member_exists');
      await s.teams.setMember(alice, 'acme', 'bob', 'member');
      expect((await s.teams.members('acme')).map((m) => [m.userName, m.role])).to.deep.equal([['alice', 'admin'], ['bob', 'member']]);
      expect((await s.teams.teams(alice)).map((t) => [t.name, t.role])).to.deep.equal([['acme', 'admin'], ['alice', 'admin']]);
      expect((await s.teams.teams(root)).map((t) => [t.name, t.role])).to.deep.equal([['acme', null], ['admin', 'admin'], ['alice', null], ['bob', null]]);

      const last = await rejection(s.teams.removeMember(alice, 'acme', 'alice'), 'last_team_admin');
      expect(last.message).to.include('members:set');
      await rejection(s.teams.setMember(alice, 'acme', 'alice', 'member'), 'last_team_admin');
      await s.teams.setMember(alice, 'acme', 'bob', 'admin');
      await s.teams.removeMember(alice, 'acme', 'alice');
      expect((await s.teams.members('acme')).map((m) => [m.userName, m.role])).to.deep.equal([['bob', 'admin']]);
      await rejection(s.teams.removeMember(root, 'acme', 'alice'), 'member_not_found');
      await rejection(s.teams.addMember(root, 'acme', 'ghost', 'member'), 'user_not_found');
      await rejection(s.teams.members('ghost'), 'team_not_found');
    });

    it('places new apps in the named team or the personal one, shows each user the apps they may view, and transfers apps', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const bob = await user('bob', root);
      const carol = await user('carol', root);
      const apps = new AppsRepo(store());
      const teamsRepo = new TeamsRepo(store());
      const acme = await s.teams.createTeam(alice, 'acme');
      await s.teams.addMember(alice, 'acme', 'bob', 'viewer');

      const shop = await apps.create('shop', new Date(now), (await s.teams.teamForNewApp(alice, 'acme')).id);
      const blog = await apps.create('blog', new Date(now), (await s.teams.teamForNewApp(carol)).id);
      expect(shop.teamId).to.equal(acme.id);
      expect((await teamsRepo.teamOfApp(blog.id)).name).to.equal('carol');
      await rejection(s.teams.teamForNewApp(alice, 'ghost'), 'team_not_found');

      expect(await teamsRepo.visibleAppIds(alice.userId)).to.deep.equal([shop.id]);
      expect(await teamsRepo.visibleAppIds(bob.userId)).to.deep.equal([shop.id]);
      expect(await teamsRepo.visibleAppIds(carol.userId)).to.deep.equal([blog.id]);

      expect(await teamsRepo.accessFacts('shop', bob.userId)).to.deep.include({ appId: shop.id, role: 'viewer', collaborator: null });
      expect((await teamsRepo.accessFacts('shop', carol.userId))?.role).to.equal(null);
      expect(await teamsRepo.accessFacts('ghost', carol.userId)).to.equal(null);

      // Collaborators: carol on shop with deploy; view always comes with it.
      const added = await s.appAccess.addCollaborator(alice, 'shop', 'carol', 'deploy');
      expect(added.permissions).to.deep.equal(['view', 'deploy']);
      expect((await teamsRepo.accessFacts('shop', carol.userId))?.collaborator).to.deep.equal(['view', 'deploy']);
      expect(await teamsRepo.visibleAppIds(carol.userId)).to.deep.equal([shop.id, blog.id]);
      expect((await s.appAccess.collaborators('shop')).map((c) => [c.userName, c.permissions])).to.deep.equal([['carol', ['view', 'deploy']]]);
      await s.appAccess.removeCollaborator(alice, 'shop', 'carol');
      await rejection(s.appAccess.removeCollaborator(alice, 'shop', 'carol'), 'collaborator_not_found');
      await rejection(s.appAccess.addCollaborator(alice, 'shop', 'carol', 'root'), 'invalid_permissions');
      expect(await teamsRepo.visibleAppIds(carol.userId)).to.deep.equal([blog.id]);

      const moved = await s.teams.transferApp(root, 'blog', 'acme');
      expect([moved.from.name, moved.to.name]).to.deep.equal(['carol', 'acme']);
      expect(await teamsRepo.visibleAppIds(carol.userId)).to.deep.equal([]);
      expect(await teamsRepo.visibleAppIds(bob.userId)).to.deep.equal([shop.id, blog.id]);
      await rejection(s.teams.transferApp(root, 'ghost', 'acme'), 'app_not_found');
    });
  });

  describe('audit log', () => {
    it('appends an entry with the change\'s transaction: a rolled-back change leaves none and tells no follower', async () => {
      const root = await admin();
      const seen: AuditEntry[] = [];
      const stop = await s.audit.follow(PLATFORM, {}, (entry) => seen.push(entry));
      await rejection(store().transaction(async (trx) => {
        await s.audit.record({ principal: root, action: 'config:set', app: 'shop', detail: { keys: ['A'] } }, trx);
        throw new SlipwayError('invalid_request', 'changed my mind');
      }), 'invalid_request');
      await store().transaction(async (trx) => {
        await s.audit.record({ principal: root, action: 'config:set', app: 'shop', detail: { keys: ['B'], value: 'never stored' } }, trx);
        expect(seen).to.deep.equal([]); // not committed yet
      });
      stop();
      await s.audit.record({ principal: root, action: 'after-stop' });
      expect(seen.map((e) => e.detail)).to.deep.equal([{ keys: ['B'] }]);
      const stored = (await s.audit.query(PLATFORM, { app: 'shop' })).entries;
      expect(stored.map((e) => e.detail)).to.deep.equal([{ keys: ['B'] }]);
      expect(stored[0]).to.include({ userName: 'admin', via: 'token', address: '127.0.0.1', result: 'ok' });
      expect(stored[0]!.at.getTime()).to.equal(now);
    });

    it('pages newest first with a cursor, and filters by app, team, user and time', async () => {
      const root = await admin();
      for (let i = 0; i < 5; i++) {
        now += 1000;
        await s.audit.record({ principal: root, action: `step-${i}`, app: i % 2 ? 'odd' : 'even', team: 'admin' });
      }
      const first = await s.audit.query(root, {}, 2);
      expect(first.entries.map((e) => e.action)).to.deep.equal(['step-4', 'step-3']);
      const second = await s.audit.query(root, { before: first.next! }, 2);
      expect(second.entries.map((e) => e.action)).to.deep.equal(['step-2', 'step-1']);
      const third = await s.audit.query(root, { before: second.next! }, 2);
      expect(third.entries.map((e) => e.action)).to.deep.equal(['step-0', 'user:create']);
      expect((await s.audit.query(root, { before: third.next! }, 2)).next).to.equal(null);

      expect((await s.audit.query(root, { app: 'odd' })).entries.map((e) => e.action)).to.deep.equal(['step-3', 'step-1']);
      expect((await s.audit.query(root, { since: new Date(now - 1000) })).entries.map((e) => e.action)).to.deep.equal(['step-4', 'step-3']);
      expect((await s.audit.query(root, { userId: root.userId, team: 'admin' })).entries).to.have.length(5);
      await rejection(s.audit.query(root, {}, 0), 'invalid_request');
    });

    it('shows a platform admin everything, a team admin their team\'s entries, a user their own actions', async () => {
      const root = await admin();
      const alice = await user('alice', root);
      const bob = await user('bob', root);
      await s.teams.createTeam(alice, 'acme');
      await s.teams.addMember(alice, 'acme', 'bob', 'member');
      await s.audit.record({ principal: bob, action: 'app:deploy', app: 'shop', team: 'acme' });
      await s.audit.record({ principal: root, action: 'app:restart', app: 'other', team: 'admin' });

      const actions = async (p: UserPrincipal) => (await s.audit.query(p, {}, 500)).entries.map((e) => `${e.userName}:${e.action}`);
      // Each user's creation is an entry of their personal team, which they admin.
      expect(await actions(bob)).to.deep.equal(['bob:app:deploy', 'bob:login', 'admin:user:create']);
      expect(await actions(alice)).to.deep.equal(['bob:app:deploy', 'alice:members:add', 'alice:team:create', 'alice:login', 'admin:user:create']);
      expect(await actions(root)).to.include.members(['admin:app:restart', 'bob:app:deploy', 'alice:team:create', 'admin:user:create']);

      const followed: string[] = [];
      const stop = await s.audit.follow(bob, { app: 'shop' }, (e) => followed.push(e.action));
      await s.audit.record({ principal: alice, action: 'config:set', app: 'shop', team: 'acme' }); // not bob's, bob is no admin
      await s.audit.record({ principal: bob, action: 'app:deploy', app: 'blog', team: 'acme' }); // filtered out
      await s.audit.record({ principal: bob, action: 'app:operate', app: 'shop', team: 'acme' });
      stop();
      expect(followed).to.deep.equal(['app:operate']);
    });
  });

  describe('access control (the policy with its facts)', () => {
    /** acme (alice admin, bob member, vic viewer) owns shop; carol collaborates on shop with deploy; dan is outside. */
    async function world() {
      const root = await admin();
      const [alice, bob, vic, carol, dan] = [await user('alice', root), await user('bob', root), await user('vic', root), await user('carol', root), await user('dan', root)];
      const acme = await s.teams.createTeam(alice, 'acme');
      await s.teams.addMember(alice, 'acme', 'bob', 'member');
      await s.teams.addMember(alice, 'acme', 'vic', 'viewer');
      const apps = new AppsRepo(store());
      const shop = await apps.create('shop', new Date(now), acme.id);
      const blog = await apps.create('blog', new Date(now), (await s.teams.teamForNewApp(dan)).id);
      await s.appAccess.addCollaborator(alice, 'shop', 'carol', ['deploy']);
      return { root, alice, bob, vic, carol, dan, shop, blog };
    }

    async function refusedWith(promise: Promise<unknown>, code: ErrorCode, missing?: string): Promise<void> {
      const error = await rejection(promise, code);
      if (missing) expect(error.message).to.include(missing);
    }

    it('gives team admins every permission, members the team\'s, viewers view, collaborators theirs, and others a 404', async () => {
      const { root, alice, bob, vic, carol, dan } = await world();
      const check = (p: UserPrincipal, action: 'app:view' | 'app:config:read' | 'app:deploy' | 'app:operate' | 'app:manage') => s.access.check(p, { action, app: 'shop' });
      for (const action of ['app:view', 'app:config:read', 'app:deploy', 'app:operate', 'app:manage'] as const) {
        await check(root, action);
        await check(alice, action);
      }
      for (const action of ['app:view', 'app:config:read', 'app:deploy', 'app:operate'] as const) await check(bob, action);
      await refusedWith(check(bob, 'app:manage'), 'forbidden', 'manage');
      await check(vic, 'app:view');
      await refusedWith(check(vic, 'app:config:read'), 'forbidden');
      await refusedWith(check(vic, 'app:deploy'), 'forbidden', 'deploy');
      await check(carol, 'app:view');
      await check(carol, 'app:deploy');
      await refusedWith(check(carol, 'app:operate'), 'forbidden', 'operate');
      const hidden = await rejection(check(dan, 'app:view'), 'app_not_found');
      const missing = await rejection(s.access.check(dan, { action: 'app:view', app: 'no-such-app' }), 'app_not_found');
      expect(hidden.message.replace('shop', 'X')).to.equal(missing.message.replace('no-such-app', 'X'));
    });

    it('tells each caller the permissions it holds on an app, as check decides them (the console\'s buttons)', async () => {
      const { root, alice, bob, vic, carol, dan } = await world();
      expect(await s.access.permissionsOn(root, 'shop')).to.deep.equal(['view', 'deploy', 'operate', 'manage']);
      expect(await s.access.permissionsOn(alice, 'shop')).to.deep.equal(['view', 'deploy', 'operate', 'manage']);
      expect(await s.access.permissionsOn(bob, 'shop')).to.deep.equal(['view', 'deploy', 'operate']);
      expect(await s.access.permissionsOn(vic, 'shop')).to.deep.equal(['view']);
      expect(await s.access.permissionsOn(carol, 'shop')).to.deep.equal(['view', 'deploy']);
      expect(await s.access.permissionsOn(dan, 'shop')).to.deep.equal([]);
      const read = await s.identity.authenticate((await s.identity.createToken(alice, { scope: 'read' })).token);
      expect(await s.access.permissionsOn(read, 'shop'), 'a read token').to.deep.equal(['view']);
    });

    it('holds a token to its scope: a read token cannot deploy, even a platform admin\'s', async () => {
      const { root, alice } = await world();
      const read = await s.identity.authenticate((await s.identity.createToken(alice, { scope: 'read' })).token);
      await s.access.check(read, { action: 'app:view', app: 'shop' });
      await refusedWith(s.access.check(read, { action: 'app:deploy', app: 'shop' }), 'forbidden', 'deploy');
      const rootRead = await s.identity.authenticate((await s.identity.createToken(root, { scope: 'read' })).token);
      await refusedWith(s.access.check(rootRead, { action: 'app:deploy', app: 'shop' }), 'forbidden');
    });

    it('decides team actions by role: members create apps, viewers do not, outsiders get a 404', async () => {
      const { alice, bob, vic, dan } = await world();
      await s.access.check(alice, { action: 'team:manage', team: 'acme' });
      await s.access.check(bob, { action: 'team:create-app', team: 'acme' });
      await refusedWith(s.access.check(bob, { action: 'team:manage', team: 'acme' }), 'forbidden');
      await refusedWith(s.access.check(vic, { action: 'team:create-app', team: 'acme' }), 'forbidden');
      await s.access.check(vic, { action: 'team:view', team: 'acme' });
      await rejection(s.access.check(dan, { action: 'team:view', team: 'acme' }), 'team_not_found');
      await s.access.check(dan, { action: 'team:create-app', team: 'dan' }); // the personal team
    });

    it('audits each refusal, without naming the team of an app the caller may not see', async () => {
      const { bob, dan } = await world();
      await rejection(s.access.check(bob, { action: 'app:manage', app: 'shop' }), 'forbidden');
      await rejection(s.access.check(dan, { action: 'app:deploy', app: 'shop' }), 'app_not_found');
      const refused = (await s.audit.query(PLATFORM, {})).entries.filter((e) => e.result === 'refused');
      expect(refused.map((e) => [e.userName, e.action, e.app, e.team, e.detail])).to.deep.equal([
        ['dan', 'app:deploy', 'shop', null, { reason: 'unknown_app' }],
        ['bob', 'app:manage', 'shop', 'acme', { missing: 'manage' }],
      ]);
      // The team's admin sees the refusal in their team's log; dan sees his own attempt.
      expect((await s.audit.query(await s.identity.authenticate((await s.identity.login('alice', 'alice-password-1')).token), { app: 'shop' }))
        .entries.map((e) => e.userName)).to.include('bob');
      expect((await s.audit.query(dan, { app: 'shop' })).entries.map((e) => e.action)).to.deep.equal(['app:deploy']);
    });

    it('lists the apps each principal may view, and checks transfers on both teams', async () => {
      const { root, alice, bob, carol, dan } = await world();
      const names = async (p: UserPrincipal) => (await s.access.visibleApps(p)).map((a) => a.name);
      expect(await names(root)).to.deep.equal(['blog', 'shop']);
      expect(await names(alice)).to.deep.equal(['shop']);
      expect(await names(bob)).to.deep.equal(['shop']);
      expect(await names(carol)).to.deep.equal(['shop']);
      expect(await names(dan)).to.deep.equal(['blog']);
      expect(await s.access.visibleApps(PLATFORM)).to.have.length(2);

      await rejection(s.access.checkTransfer(alice, 'shop', 'dan'), 'team_not_found');
      await rejection(s.access.checkTransfer(dan, 'shop', 'dan'), 'app_not_found');
      await s.teams.addMember(dan, 'dan', 'alice', 'admin');
      await s.access.checkTransfer(alice, 'shop', 'dan');
      await s.access.checkTransfer(root, 'blog', 'acme');
    });

    it('records changes from transports with the app\'s team and plain details only', async () => {
      const { bob } = await world();
      await s.audit.recordChange({ principal: bob, address: '10.1.1.1', action: 'config.set', app: 'shop', result: 'ok',
        detail: { keys: ['A'], nested: { value: 'x' }, password: 'p', count: 2 } });
      const [entry] = (await s.audit.query(PLATFORM, { app: 'shop' }, 1)).entries;
      expect(entry).to.include({ team: 'acme', address: '10.1.1.1', action: 'config.set' });
      expect(entry!.detail).to.deep.equal({ keys: ['A'], count: 2 });
    });
  });

  describe('who did it', () => {
    it('records the user who caused a build and a release, and null for the platform', async () => {
      const apps = new AppsRepo(store());
      const builds = new BuildsRepo(store());
      const releases = new ReleasesRepo(store());
      const app = await apps.create('shop');
      await builds.start('b-1', app.id, 'a'.repeat(40), new Date(now), { userId: 1, name: 'alice' });
      await builds.start('b-2', app.id, 'b'.repeat(40));
      expect((await builds.get('b-1'))?.createdBy).to.equal('alice');
      expect((await builds.get('b-2'))?.createdBy).to.equal(null);
      const byAlice = await releases.create({ appId: app.id, buildId: 'b-1', config: {}, description: 'Deploy aaaaaaa', actor: { userId: 1, name: 'alice' } });
      expect(byAlice.createdBy).to.equal('alice');
      await releases.create({ appId: app.id, buildId: 'b-2', config: {}, description: 'Deploy bbbbbbb' });
      expect((await releases.list(app.id)).map((r) => [r.version, r.createdBy])).to.deep.equal([[2, null], [1, 'alice']]);
    });
  });
});
