/**
 * The accounts routes through the real API, the real identity services, the real policy
 * (engine/access.ts) and a real SQLite store: what users do, and what each route refuses to a
 * caller without a token (401) or without the permission (403, or 404 where an app or team must
 * not be revealed).
 */
import http from 'node:http';
import { expect } from 'chai';
import { createIdentityServices, type IdentityServices } from '../../../engine/identity-services';
import { LoginThrottle } from '../../../engine/login-throttle';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { TeamsRepo } from '../../../engine/store/teams-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { SseParser, type SseEvent } from '../../../cli/event-stream';
import { ChangeFeed } from '../../../engine/change-feed';
import { ConsoleSessions } from '../../../engine/console-sessions';
import { ConsoleSessionsRepo } from '../../../engine/store/console-sessions-repo';
import { apiDeps, request, startApi, type Answer } from '../../support/api';
import { backends, type TestDatabase } from '../../support/databases';

const CHEAP = { ln: 10, r: 8, p: 1 };
const THROTTLE = { freeFailuresPerUser: 3, freeFailuresPerAddress: 50, baseDelayMs: 60_000, maxDelayMs: 600_000, forgetAfterMs: 3_600_000, maxEntries: 1000 };
const sqlite = backends.find((b) => b.name.toLowerCase().includes('sqlite'))!;

describe('api accounts routes (real identity, policy and store)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: Database;
  let s: IdentityServices;
  let api: Awaited<ReturnType<typeof startApi>>;
  let admin: string;
  let feed: ChangeFeed;

  const call = (method: string, path: string, token: string | null, body?: unknown): Promise<Answer> =>
    request(`${api.url}${path}`, { method, token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const code = (answer: Answer) => (answer.body as { error?: { code: string } } | null)?.error?.code;

  async function user(name: string, password = `${name}-Passw0rd-long`): Promise<string> {
    const created = await call('POST', '/users', admin, { name, email: `${name}@example.com`, password });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const login = await call('POST', '/login', null, { name, password });
    expect(login.status, JSON.stringify(login.body)).to.equal(201);
    return (login.body as { token: string }).token;
  }

  beforeEach(async () => {
    testDb = await sqlite.create();
    db = await openDatabase(testDb.url);
    s = createIdentityServices(db, { passwordParams: CHEAP, throttle: new LoginThrottle(THROTTLE) });
    const apps = new AppsRepo(db);
    admin = (await s.identity.bootstrapAdmin())!.token;
    feed = new ChangeFeed();
    api = await startApi(apiDeps({
      identity: s.identity,
      apps: { get: (name: string) => apps.get(name) } as never,
      access: s.access,
      audit: async (record) => { await s.audit.recordChange(record); },
      accounts: { teams: s.teams, appAccess: s.appAccess, audit: s.audit },
      console: { sessions: new ConsoleSessions(new ConsoleSessionsRepo(db)), login: s.identity, feed, heartbeatMs: 60_000 },
    }));
  });

  afterEach(async () => {
    feed.close();
    await api.close();
    await db.destroy();
    await testDb.drop();
  });

  it('login: a token for the right password; the same refusal for a wrong password and an unknown user; throttled after repeated failures', async () => {
    await user('alice');
    const wrong = await call('POST', '/login', null, { name: 'alice', password: 'nope' });
    const unknown = await call('POST', '/login', null, { name: 'nobody', password: 'nope' });
    expect([wrong.status, code(wrong)]).to.deep.equal([401, 'login_failed']);
    expect(unknown).to.deep.equal(wrong);
    for (let i = 0; i < 4; i += 1) await call('POST', '/login', null, { name: 'alice', password: 'nope' });
    const throttled = await call('POST', '/login', null, { name: 'alice', password: 'alice-Passw0rd-long' });
    expect([throttled.status, code(throttled)]).to.deep.equal([429, 'login_throttled']);
  });

  it('account, tokens and logout: a revoked token is refused with a clear error', async () => {
    const alice = await user('alice');
    const account = await call('GET', '/account', alice);
    expect(account.body).to.deep.equal({ name: 'alice', email: 'alice@example.com', platformAdmin: false, teams: [{ name: 'alice', role: 'admin' }] });

    const created = await call('POST', '/tokens', alice, { scope: 'read', description: 'ci', expiresIn: 3600 });
    expect(created.status).to.equal(201);
    const read = (created.body as { token: string; id: number }).token;
    const list = await call('GET', '/tokens', read);
    expect(JSON.stringify(list.body)).not.to.include(read);
    expect((list.body as Array<{ description: string; current: boolean }>).find((t) => t.current)).to.include({ description: 'ci' });
    // A read token may read, not create teams or tokens.
    expect(code(await call('POST', '/teams', read, { name: 'acme' }))).to.equal('forbidden');
    expect(code(await call('POST', '/tokens', read, {}))).to.equal('forbidden');

    expect((await call('POST', '/logout', alice)).status).to.equal(204);
    const after = await call('GET', '/account', alice);
    expect([after.status, code(after)]).to.deep.equal([401, 'token_revoked']);
    expect((await call('DELETE', `/tokens/${(created.body as { id: number }).id}`, read)).status).to.equal(403);
  });

  it('users: platform admins only; a disabled user\'s tokens stop at once', async () => {
    const alice = await user('alice');
    expect((await call('GET', '/users', null)).status).to.equal(401);
    expect(code(await call('GET', '/users', alice))).to.equal('forbidden');
    expect(code(await call('POST', '/users', alice, { name: 'eve', email: 'eve@example.com' }))).to.equal('forbidden');
    const generated = await call('POST', '/users', admin, { name: 'bob', email: 'bob@example.com' });
    expect((generated.body as { password: string }).password).to.be.a('string').with.length.greaterThan(8);
    expect(code(await call('PATCH', '/users/bob', alice, { disabled: true }))).to.equal('forbidden');
    expect((await call('PATCH', '/users/alice', admin, { disabled: true })).body).to.include({ name: 'alice', disabled: true });
    expect(code(await call('GET', '/account', alice))).to.equal('user_disabled');
    const users = await call('GET', '/users', admin);
    expect((users.body as Array<{ name: string }>).map((u) => u.name)).to.have.members(['admin', 'alice', 'bob']);
  });

  /** A console sign-in: the session cookie and its CSRF token. */
  async function consoleSession(name: string, password: string): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${api.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
    expect(response.status).to.equal(201);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    return { cookie, csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
  }
  const sessionStatus = async (session: { cookie: string }) => (await fetch(`${api.url}/session`, { headers: { cookie: session.cookie } })).status;

  it('password change: proves the current password; ends the other logins and console sessions, keeps the one in use and API tokens', async () => {
    const alice = await user('alice');
    const otherLogin = await call('POST', '/login', null, { name: 'alice', password: 'alice-Passw0rd-long' });
    const browser = await consoleSession('alice', 'alice-Passw0rd-long');
    const deploy = ((await call('POST', '/tokens', alice, { scope: 'deploy' })).body as { token: string }).token;
    const read = ((await call('POST', '/tokens', alice, { scope: 'read' })).body as { token: string }).token;

    expect((await call('PUT', '/account/password', null, { current: 'alice-Passw0rd-long', password: 'a-new-password-1' })).status).to.equal(401);
    for (const token of [read, deploy]) {
      const refused = await call('PUT', '/account/password', token, { current: 'alice-Passw0rd-long', password: 'a-new-password-1' });
      expect([refused.status, code(refused)], 'a read or deploy token cannot change the password').to.deep.equal([403, 'forbidden']);
    }
    const wrong = await call('PUT', '/account/password', alice, { current: 'not-the-password', password: 'a-new-password-1' });
    expect([wrong.status, code(wrong)]).to.deep.equal([403, 'wrong_password']);
    const short = await call('PUT', '/account/password', alice, { current: 'alice-Passw0rd-long', password: 'short' });
    expect([short.status, code(short)]).to.deep.equal([422, 'invalid_password']);
    expect(await sessionStatus(browser), 'nothing changed by the refusals').to.equal(200);

    const changed = await call('PUT', '/account/password', alice, { current: 'alice-Passw0rd-long', password: 'a-new-password-1' });
    expect([changed.status, changed.body]).to.deep.equal([200, { loginsEnded: 2 }]);
    expect((await call('GET', '/account', alice)).status, 'the login in use').to.equal(200);
    expect(code(await call('GET', '/account', (otherLogin.body as { token: string }).token))).to.equal('token_revoked');
    expect(await sessionStatus(browser), 'the console session').to.equal(401);
    expect((await call('GET', '/account', deploy)).status, 'an API token').to.equal(200);
    expect((await call('POST', '/login', null, { name: 'alice', password: 'alice-Passw0rd-long' })).status).to.equal(401);
    expect((await call('POST', '/login', null, { name: 'alice', password: 'a-new-password-1' })).status).to.equal(201);

    // From the console: the session in use is kept.
    const signedIn = await consoleSession('alice', 'a-new-password-1');
    const fromConsole = await fetch(`${api.url}/account/password`, {
      method: 'PUT', headers: { cookie: signedIn.cookie, 'x-csrf-token': signedIn.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ current: 'a-new-password-1', password: 'a-third-password' }),
    });
    expect(fromConsole.status).to.equal(200);
    expect(await sessionStatus(signedIn)).to.equal(200);
    const noCsrf = await fetch(`${api.url}/account/password`, {
      method: 'PUT', headers: { cookie: signedIn.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ current: 'a-third-password', password: 'a-fourth-password' }),
    });
    expect(noCsrf.status, 'the session cookie without the CSRF token').to.equal(403);
  });

  it('password reset: platform admins only; every login and console session of the user ends; the generated password works', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const browser = await consoleSession('alice', 'alice-Passw0rd-long');
    const refused = await call('POST', '/users/alice/password', bob, {});
    expect([refused.status, code(refused)]).to.deep.equal([403, 'forbidden']);
    expect(code(await call('POST', '/users/ghost/password', admin, {}))).to.equal('user_not_found');
    expect(await sessionStatus(browser)).to.equal(200);

    const reset = await call('POST', '/users/alice/password', admin, {});
    expect(reset.status).to.equal(200);
    const body = reset.body as { user: string; password: string; loginsEnded: number };
    expect(body).to.include({ user: 'alice', loginsEnded: 2 });
    expect(code(await call('GET', '/account', alice))).to.equal('token_revoked');
    expect(await sessionStatus(browser)).to.equal(401);
    expect((await call('POST', '/login', null, { name: 'alice', password: body.password })).status).to.equal(201);
    expect((await call('GET', '/account', bob)).status, 'another user\'s login').to.equal(200);
  });

  it('teams and members: admins manage, members see, outsiders get 404', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    expect((await call('POST', '/teams', alice, { name: 'acme' })).status).to.equal(201);
    expect((await call('POST', '/teams/acme/members', alice, { user: 'bob', role: 'viewer' })).status).to.equal(201);
    expect((await call('GET', '/teams/acme/members', bob)).body).to.deep.equal([{ user: 'alice', role: 'admin' }, { user: 'bob', role: 'viewer' }]);
    expect(code(await call('POST', '/teams/acme/members', bob, { user: 'carol', role: 'admin' }))).to.equal('forbidden');
    expect(code(await call('GET', '/teams/acme/members', carol))).to.equal('team_not_found');
    expect((await call('GET', '/teams/acme/members', null)).status).to.equal(401);
    expect((await call('PATCH', '/teams/acme/members/bob', alice, { role: 'member' })).body).to.deep.equal({ user: 'bob', role: 'member' });
    expect(code(await call('DELETE', '/teams/acme/members/alice', alice))).to.equal('last_team_admin');
    expect((await call('DELETE', '/teams/acme/members/bob', alice)).status).to.equal(204);
    const teams = await call('GET', '/teams', alice);
    expect((teams.body as Array<{ name: string; role: string }>).map((t) => `${t.name}:${t.role}`)).to.have.members(['alice:admin', 'acme:admin']);
  });

  it('team member permissions: team admins set them (view always kept), members may not, outsiders get 404; members get them at once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    expect((await call('POST', '/teams', alice, { name: 'acme' })).status).to.equal(201);
    expect((await call('POST', '/teams/acme/members', alice, { user: 'bob', role: 'member' })).status).to.equal(201);
    await new AppsRepo(db).create('shop', new Date(), (await new TeamsRepo(db).get('acme')).id);
    const bobPrincipal = await s.identity.authenticate(bob);
    const bobMay = (action: 'app:deploy' | 'app:operate') => s.access.check(bobPrincipal, { action, app: 'shop' }).then(() => true, () => false);
    expect(await bobMay('app:deploy'), 'a member deploys by default').to.equal(true);

    const refused = await call('PATCH', '/teams/acme', bob, { memberPermissions: ['view', 'deploy', 'operate', 'manage'] });
    expect([refused.status, code(refused)]).to.deep.equal([403, 'forbidden']);
    expect(code(await call('PATCH', '/teams/acme', carol, { memberPermissions: ['view'] }))).to.equal('team_not_found');
    const bad = await call('PATCH', '/teams/acme', alice, { memberPermissions: ['view', 'root'] });
    expect(bad.status).to.equal(400);

    const set = await call('PATCH', '/teams/acme', alice, { memberPermissions: ['operate'] });
    expect(set.status).to.equal(200);
    expect(set.body).to.include({ name: 'acme', role: 'admin' });
    expect((set.body as { memberPermissions: string[] }).memberPermissions).to.deep.equal(['view', 'operate']);
    expect(await bobMay('app:deploy'), 'at once: no deploy any more').to.equal(false);
    expect(await bobMay('app:operate')).to.equal(true);
    const audited = await call('GET', '/audit?team=acme', alice);
    expect((audited.body as { events: Array<{ action: string }> }).events.map((e) => e.action)).to.include('team:permissions');
  });

  it('access and transfer: view to read, manage to change, admin of both teams to transfer', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    await call('POST', '/teams', alice, { name: 'acme' });
    await call('POST', '/teams/acme/members', alice, { user: 'bob', role: 'viewer' });
    const acme = await new TeamsRepo(db).get('acme');
    await new AppsRepo(db).create('shop', new Date(), acme.id);

    expect(code(await call('GET', '/apps/shop/access', carol))).to.equal('app_not_found');
    expect(code(await call('POST', '/apps/shop/access', bob, { user: 'carol', permissions: ['view'] }))).to.equal('forbidden');
    expect((await call('POST', '/apps/shop/access', alice, { user: 'carol', permissions: ['deploy'] })).body)
      .to.deep.equal({ user: 'carol', via: 'collaborator', role: null, permissions: ['view', 'deploy'] });
    const access = await call('GET', '/apps/shop/access', carol);
    expect(access.body).to.deep.equal({ app: 'shop', team: 'acme', entries: [
      { user: 'alice', via: 'team', role: 'admin', permissions: ['view', 'deploy', 'operate', 'manage'] },
      { user: 'bob', via: 'team', role: 'viewer', permissions: ['view'] },
      { user: 'carol', via: 'collaborator', role: null, permissions: ['view', 'deploy'] },
    ] });
    expect((await call('DELETE', '/apps/shop/access/carol', alice)).status).to.equal(204);

    // alice admins acme, but not bob's personal team.
    expect(code(await call('POST', '/apps/shop/transfer', alice, { team: 'bob' }))).to.equal('team_not_found');
    expect(code(await call('POST', '/apps/shop/transfer', bob, { team: 'bob' }))).to.equal('forbidden');
    expect((await call('POST', '/apps/shop/transfer', alice, { team: 'alice' })).body).to.deep.equal({ app: 'shop', team: 'alice' });
    expect(code(await call('GET', '/apps/shop/access', bob))).to.equal('app_not_found');
  });

  it('audit: pages filtered by what the caller may read; refusals recorded; followed live over SSE', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await call('POST', '/teams', alice, { name: 'acme' });
    await call('POST', '/teams/acme/members', bob, { user: 'bob', role: 'admin' }); // refused: bob is not in acme
    const page = await call('GET', '/audit?team=acme&limit=50', alice);
    expect(page.status, JSON.stringify(page.body)).to.equal(200);
    const events = (page.body as { events: Array<{ action: string; result: string; user: string }> }).events;
    expect(events.some((e) => e.result === 'ok' && e.user === 'alice')).to.equal(true);
    expect(code(await call('GET', '/audit?team=acme', bob))).to.equal('team_not_found');
    expect(code(await call('GET', '/audit?since=yesterday', alice))).to.equal('invalid_request');
    const own = await call('GET', '/audit', bob);
    const bobs = (own.body as { events: Array<{ user: string; result: string; team: string | null }> }).events;
    expect(bobs.length).to.be.greaterThan(0);
    // Bob reads his own actions and those on the team he administers (his personal one), nothing of acme's.
    expect(bobs.every((e) => e.user === 'bob' || e.team === 'bob')).to.equal(true);
    expect(bobs.some((e) => e.team === 'acme' && e.user !== 'bob')).to.equal(false);
    expect(bobs.some((e) => e.result === 'refused')).to.equal(true);

    // Live: the stream of team acme shows the next change there.
    const received: SseEvent[] = [];
    const parser = new SseParser();
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${api.url}/audit/stream?team=acme`, { headers: { authorization: `Bearer ${alice}` } }, resolve).on('error', reject);
    });
    expect(stream.statusCode).to.equal(200);
    const got = new Promise<void>((resolve) => {
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        received.push(...parser.push(chunk));
        if (received.some((e) => e.event === 'audit')) resolve();
      });
    });
    await call('POST', '/teams/acme/members', alice, { user: 'bob', role: 'member' });
    await got;
    stream.destroy();
    const event = JSON.parse(received.find((e) => e.event === 'audit')!.data) as { team: string; user: string };
    expect(event).to.include({ team: 'acme', user: 'alice' });
    expect((await call('GET', '/audit/stream', null)).status).to.equal(401);
  });
});
