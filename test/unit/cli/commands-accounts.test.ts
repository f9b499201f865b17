/**
 * The accounts commands (login, logout, auth:*, users*, tokens*, teams*, members*, apps --team,
 * apps:transfer, access*, audit) run through the real command line parser with an injected
 * context (stdin, stderr, clock) against the fake API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { AuditEvent } from '../../../cli/accounts-types';
import { ApiClient } from '../../../cli/api-client';
import type { AccountContext } from '../../../cli/commands-auth';
import { runProgram } from '../../../cli/main';
import type { Prompter } from '../../../cli/prompt';
import { resolveSettings, type Env } from '../../../cli/settings';
import { sseEvent } from './fake-accounts';
import { type FakeApi, startFakeApi } from './fake-api';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Env;
  /** Answers to the terminal's questions, in order; absent: stdin is not a terminal. */
  answers?: string[];
  stdin?: string;
  signal?: AbortSignal;
}

function auditEvent(id: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id, time: `2026-12-05T10:00:${String(id).padStart(2, '0')}.123Z`, user: 'alice', via: 'token', credential: '12', action: 'config:set',
    app: 'shop', team: 'acme', result: 'ok', address: '203.0.113.9', detail: { keys: ['GREETING'] }, ...overrides,
  };
}

describe('cli accounts commands', function () {
  this.timeout(10_000);
  let api: FakeApi;
  let tmp: string;
  let home: string;
  let questions: Array<{ question: string; hidden: boolean }>;
  let sleeps: number[];

  function baseEnv(): Env {
    return { SLIPWAY_API_URL: api.url, SLIPWAY_TOKEN: api.token, SLIPWAY_STATE_DIR: path.join(tmp, 'state') };
  }

  async function run(args: string[], options: RunOptions = {}): Promise<Run> {
    const env = options.env ?? baseEnv();
    let stdout = '';
    let stderr = '';
    const answers = options.answers ? [...options.answers] : null;
    const prompt: Prompter = {
      interactive: answers !== null,
      ask: async (question) => { questions.push({ question, hidden: false }); return answers!.shift()!; },
      askHidden: async (question) => { questions.push({ question, hidden: true }); return answers!.shift()!; },
      readAll: async () => options.stdin ?? '',
    };
    let client: ApiClient | null = null;
    const ctx: AccountContext = {
      client: () => {
        if (client === null) {
          const settings = resolveSettings({ env, homeDir: home });
          client = new ApiClient({ apiUrl: settings.apiUrl, token: settings.token });
        }
        return client;
      },
      out: (text) => { stdout += `${text}\n`; },
      warn: (text) => { stderr += `${text}\n`; },
      color: false,
      now: () => new Date(),
      cwd: tmp,
      homeDir: home,
      env,
      prompt,
      makeClient: (apiUrl, token) => new ApiClient({ apiUrl, token }),
      sleep: async (ms) => { sleeps.push(ms); },
      signal: options.signal,
    };
    const io = {
      stdout: { write: (text: string) => { stdout += text; return true; } } as unknown as NodeJS.WritableStream,
      stderr: { write: (text: string) => { stderr += text; return true; } } as unknown as NodeJS.WritableStream,
      env,
      cwd: tmp,
    };
    const code = await runProgram(ctx, io, ['node', 'slipway', ...args], { inferApp: async () => null });
    return { code, stdout, stderr };
  }

  const sent = () => api.requests.map((r) => `${r.method} ${r.url}`);
  const loginFile = () => path.join(home, '.slipway', 'credentials.json');

  function expectError(result: Run, pattern: RegExp): void {
    expect(result.code, result.stdout).to.equal(1);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^ ! {4}/);
    expect(lines[0]).to.match(pattern);
  }

  beforeEach(async () => {
    api = await startFakeApi();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-accounts-'));
    home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    questions = [];
    sleeps = [];
    api.accounts.users.set('alice', { name: 'alice', email: 'alice@example.com', platformAdmin: false, disabled: false, createdAt: new Date().toISOString(), password: 's3cret pass' });
    api.accounts.members.set('acme', [{ user: 'alice', role: 'admin' }]);
    api.accounts.teams.set('acme', { name: 'acme', role: 'admin', personal: false, memberPermissions: ['view', 'deploy', 'operate'], createdAt: new Date().toISOString() });
  });

  afterEach(async () => {
    await api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('login', () => {
    it('asks for the name, then the password without echo, and stores the token (0600) that later commands use', async () => {
      const env = { SLIPWAY_API_URL: api.url, SLIPWAY_STATE_DIR: path.join(tmp, 'state') };
      const result = await run(['login'], { env, answers: ['alice', 's3cret pass'] });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('Logged in as alice\n');
      expect(questions).to.deep.equal([{ question: 'Name: ', hidden: false }, { question: 'Password: ', hidden: true }]);
      expect(api.requests[0]).to.include({ method: 'POST', url: '/api/v1/login', authorization: undefined });
      expect(api.requests[0]!.body).to.deep.equal({ name: 'alice', password: 's3cret pass' });
      expect(fs.statSync(loginFile()).mode & 0o777).to.equal(0o600);
      const stored = JSON.parse(fs.readFileSync(loginFile(), 'utf8')) as { token: string; user: string; apiUrl: string };
      expect(stored).to.include({ user: 'alice', apiUrl: api.url });

      const whoami = await run(['auth:whoami'], { env });
      expect(whoami.code, whoami.stderr).to.equal(0);
      expect(api.requests.at(-1)!.authorization).to.equal(`Bearer ${stored.token}`);
      expect(whoami.stdout).to.match(/^=== alice\n/);
    });

    it('takes --username and --password-stdin for scripts, dropping the line ending', async () => {
      const result = await run(['login', '--username', 'alice', '--password-stdin'], { stdin: 's3cret pass\n' });
      expect(result.code, result.stderr).to.equal(0);
      expect(questions).to.deep.equal([]);
      expect(api.requests[0]!.body).to.deep.equal({ name: 'alice', password: 's3cret pass' });
    });

    it('warns that SLIPWAY_TOKEN still wins', async () => {
      const result = await run(['login', '--username', 'alice', '--password-stdin'], { stdin: 's3cret pass' });
      expect(result.stderr).to.match(/SLIPWAY_TOKEN is set and wins over this login/);
    });

    it('refuses --password-stdin without --username, and asking when stdin is no terminal, before any call', async () => {
      expectError(await run(['login', '--password-stdin'], { stdin: 'x' }), /--password-stdin needs --username NAME/);
      expectError(await run(['login']), /stdin is not a terminal.*--username NAME --password-stdin/);
      expectError(await run(['login', '--username', 'alice', '--password-stdin'], { stdin: '\n' }), /read no password/);
      expect(api.requests).to.deep.equal([]);
    });

    it('prints the API refusal of a wrong password and stores nothing', async () => {
      const result = await run(['login', '--username', 'alice', '--password-stdin'], { stdin: 'wrong' });
      expectError(result, /The name or the password is wrong\./);
      expect(fs.existsSync(loginFile())).to.equal(false);
    });
  });

  describe('logout', () => {
    it('revokes the stored token on the server and forgets it', async () => {
      const env = { SLIPWAY_API_URL: api.url, SLIPWAY_STATE_DIR: path.join(tmp, 'state') };
      await run(['login', '--username', 'alice', '--password-stdin'], { env, stdin: 's3cret pass' });
      const token = (JSON.parse(fs.readFileSync(loginFile(), 'utf8')) as { token: string }).token;
      const result = await run(['logout'], { env });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('Logging out... done\n');
      expect(api.requests.at(-1)).to.include({ method: 'POST', url: '/api/v1/logout', authorization: `Bearer ${token}` });
      expect(api.accounts.sessions.has(token)).to.equal(false);
      expect(fs.existsSync(loginFile())).to.equal(false);
      expectError(await run(['auth:whoami'], { env }), /No Slipway API token.*Run slipway login/);
    });

    it('says so when not logged in, and that SLIPWAY_TOKEN is still used', async () => {
      const result = await run(['logout']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Not logged in/);
      expect(result.stderr).to.match(/SLIPWAY_TOKEN is still set/);
      expect(api.requests).to.deep.equal([]);
    });

    it('forgets the login even when the API cannot be reached, and says how to revoke it later', async () => {
      fs.mkdirSync(path.dirname(loginFile()), { recursive: true });
      fs.writeFileSync(loginFile(), JSON.stringify({ apiUrl: 'http://127.0.0.1:1', token: 'slp_x', user: 'alice', tokenId: 9 }));
      const result = await run(['logout'], { env: {} });
      expectError(result, /could not revoke it on the server.*revoke token 9 with slipway tokens:revoke/);
      expect(fs.existsSync(loginFile())).to.equal(false);
    });
  });

  describe('auth:whoami and auth:token', () => {
    it('shows the name, email, teams and whether a platform admin', async () => {
      const result = await run(['auth:whoami']);
      expect(result.stdout).to.match(/^=== admin\nEmail: +admin@example\.com\nTeams: +admin \(admin\)\nPlatform admin: yes\n$/);
      const json = await run(['whoami', '--json']);
      expect(JSON.parse(json.stdout)).to.include({ name: 'admin', platformAdmin: true });
    });

    it('prints the token the CLI uses, without calling the API', async () => {
      expect((await run(['auth:token'])).stdout).to.equal(`${api.token}\n`);
      fs.mkdirSync(path.dirname(loginFile()), { recursive: true });
      fs.writeFileSync(loginFile(), JSON.stringify({ apiUrl: api.url, token: 'slp_stored', user: 'alice' }));
      expect((await run(['auth:token'], { env: {} })).stdout).to.equal('slp_stored\n');
      expect(api.requests).to.deep.equal([]);
    });
  });

  describe('users', () => {
    it('lists users with their role and status', async () => {
      api.accounts.users.get('alice')!.disabled = true;
      const result = await run(['users']);
      expect(result.stdout).to.match(/│ admin\s+│ admin@example\.com\s+│ platform admin │ active\s+│/);
      expect(result.stdout).to.match(/│ alice\s+│ alice@example\.com\s+│ user\s+│ disabled │/);
    });

    it('users:create prints the generated password once, with a warning', async () => {
      const result = await run(['users:create', 'bob', '--email', 'bob@example.com']);
      expect(result.code, result.stderr).to.equal(0);
      expect(api.requests[0]!.body).to.deep.equal({ name: 'bob', email: 'bob@example.com' });
      expect(result.stdout).to.equal('Creating user bob... done\nGenerated password: one-time-Pa55\n');
      expect(result.stderr).to.match(/it will not be shown again/);
    });

    it('users:create --password-stdin sends the password and prints none', async () => {
      const result = await run(['users:create', 'bob', '--email', 'bob@example.com', '--password-stdin'], { stdin: 'chosen one\n' });
      expect(api.requests[0]!.body).to.deep.equal({ name: 'bob', email: 'bob@example.com', password: 'chosen one' });
      expect(result.stdout).to.equal('Creating user bob... done\n');
    });

    it('users:create needs --email', async () => {
      const result = await run(['users:create', 'bob']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/--email/);
      expect(api.requests).to.deep.equal([]);
    });

    it('users:disable disables the user', async () => {
      const result = await run(['users:disable', 'alice']);
      expect(result.code).to.equal(0);
      expect(api.requests[0]).to.deep.include({ method: 'PATCH', url: '/api/v1/users/alice', body: { disabled: true } });
      expect(result.stdout).to.match(/^Disabling user alice\.\.\. done\n/);
      expectError(await run(['users:disable', 'nobody']), /There is no user nobody\./);
    });
  });

  it('users:enable enables the user again', async () => {
    api.accounts.users.get('alice')!.disabled = true;
    const result = await run(['users:enable', 'alice']);
    expect(result.code, result.stderr).to.equal(0);
    expect(api.requests[0]).to.deep.include({ method: 'PATCH', url: '/api/v1/users/alice', body: { disabled: false } });
    expect(api.accounts.users.get('alice')!.disabled).to.equal(false);
    expect(result.stdout).to.match(/^Enabling user alice\.\.\. done\n/);
    expectError(await run(['users:enable', 'nobody']), /There is no user nobody\./);
  });

  describe('passwords', () => {
    it('auth:passwd asks the current password and the new one twice, none echoed, and says what ended', async () => {
      const result = await run(['auth:passwd'], { answers: ['admin-pass', 'a-new-password', 'a-new-password'] });
      expect(result.code, result.stderr).to.equal(0);
      expect(questions).to.deep.equal([
        { question: 'Current password: ', hidden: true }, { question: 'New password: ', hidden: true }, { question: 'New password again: ', hidden: true },
      ]);
      expect(api.requests[0]).to.deep.include({ method: 'PUT', url: '/api/v1/account/password', body: { current: 'admin-pass', password: 'a-new-password' } });
      expect(result.stdout).to.equal('Changing your password... done\n1 login of yours (CLI logins, console sessions) ended; API tokens and SSH keys are kept.\n');
      expect((await run(['passwd'], { answers: ['a-new-password', 'third-password', 'third-password'] })).code, 'Heroku-style alias').to.equal(0);
    });

    it('auth:passwd refuses two different new passwords, a missing terminal or a bad --password-stdin, before any call', async () => {
      expectError(await run(['auth:passwd'], { answers: ['admin-pass', 'a-new-password', 'a-typo-password'] }), /The two new passwords differ\. Nothing was changed\./);
      expectError(await run(['auth:passwd']), /stdin is not a terminal.*--password-stdin/);
      expectError(await run(['auth:passwd', '--password-stdin'], { stdin: 'only-one-line\n' }), /reads two lines: the current password, then the new one/);
      expect(api.requests).to.deep.equal([]);
    });

    it('auth:passwd --password-stdin reads the current password, then the new one; a wrong current one is the API\'s refusal', async () => {
      const result = await run(['auth:passwd', '--password-stdin'], { stdin: 'admin-pass\nfrom-a-script-1\n' });
      expect(result.code, result.stderr).to.equal(0);
      expect(api.requests[0]!.body).to.deep.equal({ current: 'admin-pass', password: 'from-a-script-1' });
      expectError(await run(['auth:passwd', '--password-stdin'], { stdin: 'admin-pass\nfrom-a-script-2\n' }), /The current password is wrong: nothing was changed\./);
    });

    it('users:reset-password prints the generated password once, with a warning; --password-stdin sends one and prints none', async () => {
      const result = await run(['users:reset-password', 'alice']);
      expect(result.code, result.stderr).to.equal(0);
      expect(api.requests[0]).to.deep.include({ method: 'POST', url: '/api/v1/users/alice/password', body: {} });
      expect(result.stdout).to.equal('Resetting the password of alice... done\n'
        + '2 logins of alice (CLI logins, console sessions) ended; API tokens and SSH keys are kept.\nGenerated password: reset-Pa55-word\n');
      expect(result.stderr).to.match(/it will not be shown again.*slipway auth:passwd/);
      const given = await run(['users:reset-password', 'alice', '--password-stdin'], { stdin: 'chosen-one-1\n' });
      expect(api.requests[1]!.body).to.deep.equal({ password: 'chosen-one-1' });
      expect(given.stdout).to.not.match(/Generated password/);
      expectError(await run(['users:reset-password', 'nobody']), /There is no user nobody\./);
    });
  });

  describe('tokens', () => {
    it('tokens:create sends scope, description and expiry, prints the token alone on stdout and the warning on stderr', async () => {
      const result = await run(['tokens:create', '--expires', '30d', '--scope', 'deploy', '--description', 'CI deploys']);
      expect(result.code, result.stderr).to.equal(0);
      expect(api.requests[0]!.body).to.deep.equal({ scope: 'deploy', description: 'CI deploys', expiresIn: 30 * 86_400 });
      expect(result.stdout).to.match(/^slp_\d+\n$/);
      expect(result.stderr).to.match(/Created token \d+ \(scope deploy, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
      expect(result.stderr).to.match(/Copy it now: it will not be shown again\./);
    });

    it('refuses a bad --expires or --scope before any call', async () => {
      expectError(await run(['tokens:create', '--expires', 'soon']), /--expires soon is not a duration/);
      expectError(await run(['tokens:create', '--scope', 'root']), /--scope root is not a scope: use read, deploy, admin/);
      expect(api.requests).to.deep.equal([]);
    });

    it('tokens lists them, never the secret; tokens:revoke revokes one', async () => {
      await run(['tokens:create', '--description', 'laptop']);
      const id = String(api.accounts.tokens[0]!.id);
      const list = await run(['tokens']);
      expect(list.stdout).to.match(new RegExp(`│ ${id}\\s+│ laptop\\s+│ admin\\s+│ just now\\s+│ never\\s+│ never\\s+│`));
      expect(list.stdout).not.to.include(api.accounts.tokens[0]!.secret);
      const revoke = await run(['tokens:revoke', id]);
      expect(revoke.stdout).to.equal(`Revoking token ${id}... done\n`);
      expect(sent().at(-1)).to.equal(`DELETE /api/v1/tokens/${id}`);
      expect((await run(['tokens'])).stdout).to.match(/You have no API tokens/);
    });
  });

  describe('teams and members', () => {
    it('teams:create and teams', async () => {
      const created = await run(['teams:create', 'blue']);
      expect(created.stdout).to.match(/^Creating team blue\.\.\. done\n/);
      const list = await run(['teams']);
      expect(list.stdout).to.match(/│ admin\s+│ admin\s+│ personal │/);
      expect(list.stdout).to.match(/│ blue\s+│ admin\s+│ team\s+│ view, deploy, operate │/);
    });

    it('teams:permissions shows what members may do, and sets it; unknown permissions refused before any call', async () => {
      expect((await run(['teams:permissions', 'acme'])).stdout).to.equal('Members of acme may: view, deploy, operate\n');
      const set = await run(['teams:permissions', 'acme', '--permissions', 'deploy,view']);
      expect(set.code, set.stderr).to.equal(0);
      expect(api.requests.at(-1)).to.deep.include({ method: 'PATCH', url: '/api/v1/teams/acme', body: { memberPermissions: ['view', 'deploy'] } });
      expect(set.stdout).to.equal('Setting what members of acme may do... done\nMembers of acme may now: view, deploy (on every app of the team, at once)\n');
      const requests = api.requests.length;
      expectError(await run(['teams:permissions', 'acme', '--permissions', 'view,root']), /root is not a permission/);
      expectError(await run(['teams:permissions', 'nope']), /No team named "nope"/);
      expect(api.requests.length).to.equal(requests + 1); // only the listing of teams for "nope"
    });

    it('members --team lists members; without --team it says how, before any call', async () => {
      const list = await run(['members', '--team', 'acme']);
      expect(list.stdout).to.match(/│ alice │ admin │/);
      expect(sent()).to.deep.equal(['GET /api/v1/teams/acme/members']);
      expectError(await run(['members']), /Say which team with --team TEAM/);
      expect(sent()).to.have.length(1);
    });

    it('members:add, members:set and members:remove', async () => {
      expect((await run(['members:add', 'bob', '--team', 'acme', '--role', 'member'])).stdout).to.equal('Adding bob to acme as member... done\n');
      expect(api.requests.at(-1)!.body).to.deep.equal({ user: 'bob', role: 'member' });
      expect((await run(['members:set', 'bob', '-t', 'acme', '--role', 'viewer'])).stdout).to.equal('Setting the role of bob in acme to viewer... done\n');
      expect(api.requests.at(-1)).to.deep.include({ method: 'PATCH', url: '/api/v1/teams/acme/members/bob', body: { role: 'viewer' } });
      expect((await run(['members:remove', 'bob', '--team', 'acme'])).stdout).to.equal('Removing bob from acme... done\n');
      expect(sent().at(-1)).to.equal('DELETE /api/v1/teams/acme/members/bob');
    });

    it('refuses an unknown or missing role before any call, and prints API errors', async () => {
      expectError(await run(['members:add', 'bob', '--team', 'acme', '--role', 'owner']), /--role owner is not a role: use admin, member, viewer/);
      expectError(await run(['members:add', 'bob', '--team', 'acme']), /--role admin\|member\|viewer/);
      expect(api.requests).to.deep.equal([]);
      expectError(await run(['members:remove', 'bob', '--team', 'nope']), /There is no team nope\./);
    });
  });

  describe('apps and teams', () => {
    beforeEach(async () => {
      await run(['apps:create', 'shop', '--team', 'acme']);
      await run(['apps:create', 'blog']);
    });

    it('apps:create --team creates the app in that team, else in the personal team', () => {
      expect(api.requests[0]!.body).to.deep.equal({ name: 'shop', team: 'acme' });
      expect(api.requests[1]!.body).to.deep.equal({ name: 'blog' });
      expect(api.apps.get('shop')!.team).to.equal('acme');
    });

    it('apps shows the team; --team filters', async () => {
      const all = await run(['apps']);
      expect(all.stdout).to.match(/Name\s+│ Team\s+│ Current release │ URL/);
      expect(all.stdout).to.match(/│ shop │ acme  │ none\s+│/);
      expect(all.stdout).to.match(/│ blog │ admin │ none\s+│/);
      const acme = await run(['apps', '--team', 'acme']);
      expect(sent().at(-1)).to.equal('GET /api/v1/apps?team=acme');
      expect(acme.stdout).not.to.include('blog');
    });

    it('apps:transfer APP TEAM, and with -a APP', async () => {
      expect((await run(['apps:transfer', 'blog', 'acme'])).stdout).to.equal('Transferring blog to acme... done\n');
      expect(api.requests.at(-1)).to.deep.include({ method: 'POST', url: '/api/v1/apps/blog/transfer', body: { team: 'acme' } });
      expect((await run(['apps:transfer', '-a', 'shop', 'admin'])).code).to.equal(0);
      expect(api.apps.get('shop')!.team).to.equal('admin');
      expectError(await run(['apps:transfer', 'shop', 'nope']), /There is no team nope\./);
    });

    it('access lists members and collaborators; access:add and access:remove', async () => {
      const added = await run(['access:add', 'bob', '-a', 'shop', '--permissions', 'deploy,view']);
      expect(added.stdout).to.equal('Adding bob to shop with view, deploy... done\n');
      expect(api.requests.at(-1)).to.deep.include({ method: 'POST', url: '/api/v1/apps/shop/access', body: { user: 'bob', permissions: ['view', 'deploy'] } });
      const list = await run(['access', '-a', 'shop']);
      expect(list.stdout).to.match(/^=== shop \(team acme\)\n/);
      expect(list.stdout).to.match(/│ bob\s+│ collaborator │ view, deploy\s+│/);
      const removed = await run(['access:remove', 'bob', '-a', 'shop']);
      expect(removed.stdout).to.equal('Removing bob from shop... done\n');
      expect(sent().at(-1)).to.equal('DELETE /api/v1/apps/shop/access/bob');
    });

    it('access:add refuses unknown or missing permissions before any call', async () => {
      const before = api.requests.length;
      expectError(await run(['access:add', 'bob', '-a', 'shop', '--permissions', 'view,root']), /root is not a permission: use view, deploy, operate, manage/);
      expectError(await run(['access:add', 'bob', '-a', 'shop']), /Say which permissions with --permissions/);
      expect(api.requests).to.have.length(before);
    });
  });

  describe('audit', () => {
    beforeEach(() => {
      api.accounts.audit.push(
        auditEvent(3, { result: 'refused', detail: { reason: 'forbidden' }, user: 'bob', via: 'ssh-key', action: 'app:deploy', address: '198.51.100.7', credential: 'SHA256:abc' }),
        auditEvent(2, { app: null, action: 'members:add' }),
        auditEvent(1),
      );
    });

    it('prints a table, oldest first: time, user, via, action, app/team, result, address or key', async () => {
      const result = await run(['audit']);
      expect(result.code, result.stderr).to.equal(0);
      expect(sent()).to.deep.equal(['GET /api/v1/audit?limit=50']);
      const lines = result.stdout.split('\n');
      expect(lines[1]).to.match(/Time\s+│ User\s+│ Via\s+│ Action\s+│ App\/Team\s+│ Result\s+│ Address or key/);
      const rows = lines.filter((l) => l.includes('2026-12-05'));
      expect(rows[0]).to.match(/│ 2026-12-05T10:00:01Z │ alice │ token\s+│ config:set\s+│ shop \(acme\) │ ok\s+│ 203\.0\.113\.9\s+│/);
      expect(rows[1]).to.match(/│ members:add\s+│ team acme\s+│/);
      expect(rows[2]).to.match(/│ bob\s+│ ssh-key │ app:deploy\s+│ shop \(acme\) │ refused: forbidden │ SHA256:abc\s+│/);
    });

    it('passes the filters on, and refuses bad ones before any call', async () => {
      await run(['audit', '-a', 'shop', '--team', 'acme', '--user', 'alice', '--since', '1h', '-n', '5']);
      expect(sent()).to.deep.equal(['GET /api/v1/audit?app=shop&team=acme&user=alice&since=1h&limit=5']);
      expectError(await run(['audit', '--since', 'yesterday']), /--since yesterday is neither a duration/);
      expectError(await run(['audit', '-n', '0']), /-n 0 is not a number of events from 1 to 500/);
      expect(sent()).to.have.length(1);
    });

    it('-t prints the recent events, then follows the stream from the newest, reconnecting after a drop where it stopped', async () => {
      const stop = new AbortController();
      const firstStream = api.accounts.nextStream();
      const following = run(['audit', '-t', '-a', 'shop'], { signal: stop.signal });

      const stream1 = await firstStream;
      expect(api.requests.at(-1)).to.include({ url: '/api/v1/audit/stream?app=shop', lastEventId: '3' });
      const secondStream = api.accounts.nextStream();
      // The connection drops after the event: the socket ends in the middle of the response.
      stream1.write(sseEvent(auditEvent(4, { action: 'app:scale' })), () => stream1.socket?.end());

      const stream2 = await secondStream;
      expect(api.requests.at(-1)).to.include({ url: '/api/v1/audit/stream?app=shop', lastEventId: '4' });
      const written = new Promise<void>((resolve) => stream2.write(sseEvent(auditEvent(5, { action: 'app:restart' })), () => resolve()));
      await written;
      // The event is printed once it is parsed; ending the stream afterwards makes the CLI reconnect, which stop ends.
      const thirdStream = api.accounts.nextStream();
      stream2.end();
      await thirdStream;
      stop.abort();
      const result = await following;

      expect(result.code, result.stderr).to.equal(0);
      const actions = result.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('  ')[3]);
      expect(actions).to.deep.equal(['config:set', 'app:deploy', 'app:scale', 'app:restart']);
      expect(result.stderr).to.match(/The audit stream stopped .*; reconnecting in 1s\.\.\./);
      expect(sleeps[0]).to.equal(1000);
    });

    it('-t stops with the API refusal when the stream is refused, without retrying', async () => {
      api.accounts.refuseStream = { status: 403, code: 'forbidden', message: 'You may not read the audit log of team secret (team:view).' };
      const result = await run(['audit', '-t', '--team', 'secret']);
      expectError(result, /You may not read the audit log of team secret/);
      expect(sent().filter((r) => r.includes('/audit/stream'))).to.have.length(1);
      expect(sleeps).to.deep.equal([]);
    });
  });
});
