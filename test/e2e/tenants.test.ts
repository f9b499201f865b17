/**
 * Two tenants on one Slipway, end to end as users would work (issue 11's "done when"): the admin
 * creates two users and two teams with the CLI; each user logs in, adds a key, creates an app in
 * their team and deploys it with a real git push. Then each is walled off from the other by the API,
 * git, SSH and the network, a viewer reads but never config values, and every action (refusals
 * included) is in the audit log once, with its user.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type CommandResult, type TestSlipway } from '../support/slipway';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');

interface User {
  name: string;
  home: string;
  key: { privateKey: string; publicKey: string };
  cli(...args: string[]): Promise<CommandResult>;
  ssh(...args: string[]): Promise<CommandResult>;
}

interface AuditEvent { user: string | null; action: string; app: string | null; team: string | null; result: string; via: string }

describe('tenants: two users of two teams, walled off (end to end)', function () {
  let slipway: TestSlipway;
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const suffix = uniqueName('t').slice(-6);
  const blueTeam = `blue-${suffix}`;
  const redTeam = `red-${suffix}`;
  const blueApp = uniqueName('blue');
  const blueTwo = uniqueName('bluetwo');
  const redApp = uniqueName('red');
  const homes: string[] = [];
  let admin: (...args: string[]) => Promise<CommandResult>;
  let ann: User;
  let bob: User;
  let carl: User;

  function cliAs(home: string, token?: string) {
    const env = { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, NO_COLOR: '1', HOME: home, ...(token ? { SLIPWAY_TOKEN: token } : {}) };
    return (...args: string[]) => run('node', [BIN, ...args], { cwd: home, env });
  }

  async function newUser(name: string): Promise<User> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-${name}-`));
    homes.push(home);
    const password = `pw-${name}-${suffix}-long`;
    const created = await run('sh', ['-c', `printf '%s' "$PW" | node ${BIN} users:create ${name} --email ${name}@example.com --password-stdin`], {
      cwd: home, env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home, PW: password },
    });
    expect(created.code, created.output).to.equal(0);
    const login = await run('sh', ['-c', `printf '%s' "$PW" | node ${BIN} login --username ${name} --password-stdin`], {
      cwd: home, env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, NO_COLOR: '1', HOME: home, PW: password },
    });
    expect(login.code, login.output).to.equal(0);
    const key = await makeSshKey(home);
    const cli = cliAs(home);
    const added = await cli('keys:add', `${key.privateKey}.pub`);
    expect(added.code, added.output).to.equal(0);
    const ssh = (...args: string[]) => run('ssh', [
      '-p', String(slipway.platform.sshPort), '-i', key.privateKey,
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR',
      'git@127.0.0.1', ...args,
    ], { cwd: home });
    return { name, home, key, cli, ssh };
  }

  async function push(user: User, app: string): Promise<CommandResult> {
    const copy = await WorkingCopy.fromFixture('dockerfile-basic', user.key.privateKey);
    try {
      return await copy.push(slipway.gitUrl(app));
    } finally {
      copy.remove();
    }
  }

  /** The address of an app's web instance on its team's network. */
  async function instanceAddress(app: string): Promise<string> {
    const [container] = await docker.listContainers({ filters: { label: [`slipway.app=${app}`, 'slipway.process=web'] } });
    const networks = container!.NetworkSettings.Networks;
    const team = Object.keys(networks).find((name) => name.startsWith('slipway-team-'));
    return networks[team!]!.IPAddress;
  }

  before(async function () {
    slipway = await startTestSlipway();
    const adminHome = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-admin-'));
    homes.push(adminHome);
    admin = cliAs(adminHome, slipway.token);
    ann = await newUser(`ann${suffix}`);
    bob = await newUser(`bob${suffix}`);
    carl = await newUser(`carl${suffix}`);
    for (const [team, owner] of [[blueTeam, ann], [redTeam, bob]] as const) {
      expect((await admin('teams:create', team)).code).to.equal(0);
      const added = await admin('members:add', owner.name, '--team', team, '--role', 'admin');
      expect(added.code, added.output).to.equal(0);
    }
    expect((await admin('members:add', carl.name, '--team', blueTeam, '--role', 'viewer')).code).to.equal(0);

    for (const [user, app, team] of [[ann, blueApp, blueTeam], [ann, blueTwo, blueTeam], [bob, redApp, redTeam]] as const) {
      const created = await user.cli('apps:create', app, '--team', team);
      expect(created.code, created.output).to.equal(0);
      const pushed = await push(user, app);
      expect(pushed.code, pushed.output).to.equal(0);
    }
    expect((await ann.cli('config:set', 'SECRET=blue-only', '-a', blueApp)).code).to.equal(0);
  });

  after(async function () {
    for (const app of [blueApp, blueTwo, redApp]) await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('lets each user see only their own team\'s apps', async function () {
    const annApps = await ann.cli('apps', '--json');
    const names = (JSON.parse(annApps.stdout) as Array<{ name: string }>).map((a) => a.name);
    expect(names).to.include.members([blueApp, blueTwo]).and.not.include(redApp);
    const bobApps = (JSON.parse((await bob.cli('apps', '--json')).stdout) as Array<{ name: string }>).map((a) => a.name);
    expect(bobApps).to.include(redApp).and.not.include.members([blueApp, blueTwo]);
  });

  it('refuses another team\'s user everything on an app, as if it did not exist', async function () {
    for (const args of [['apps:info', '-a', blueApp], ['config', '-a', blueApp], ['ps:scale', 'web=2', '-a', blueApp],
      ['releases', '-a', blueApp], ['run', '-a', blueApp, '--', 'true']]) {
      const result = await bob.cli(...args);
      expect(result.code, `${args.join(' ')}: ${result.output}`).to.not.equal(0);
      expect(result.stderr, args.join(' ')).to.match(/No app named|does not exist|not found/i);
      expect(result.output).to.not.include('blue-only');
    }
    const scaled = await slipway.api('GET', `/apps/${blueApp}/formation`);
    expect((scaled.body as Array<{ type: string; quantity: number }>).find((e) => e.type === 'web')?.quantity).to.equal(1);
  });

  it('refuses another team\'s git push and ssh run in one line, changing nothing', async function () {
    const before = await slipway.api('GET', `/apps/${blueApp}/releases`);
    const pushed = await push(bob, blueApp);
    expect(pushed.code).to.not.equal(0);
    expect(pushed.output).to.match(/does not exist/);
    const ran = await bob.ssh('run', blueApp, 'env');
    expect(ran.code).to.not.equal(0);
    expect(ran.output).to.not.include('blue-only');
    const after = await slipway.api('GET', `/apps/${blueApp}/releases`);
    expect(after.body).to.deep.equal(before.body);
  });

  it('lets a viewer view but not read config values, deploy or scale', async function () {
    const info = await carl.cli('apps:info', '-a', blueApp);
    expect(info.code, info.output).to.equal(0);
    const config = await carl.cli('config', '-a', blueApp);
    expect(config.code).to.not.equal(0);
    expect(config.stderr).to.match(/permission/);
    expect(config.output).to.not.include('blue-only');
    const scale = await carl.cli('ps:scale', 'web=2', '-a', blueApp);
    expect(scale.code).to.not.equal(0);
    expect(scale.stderr).to.match(/operate/);
    const pushed = await push(carl, blueApp);
    expect(pushed.code).to.not.equal(0);
    expect(pushed.output).to.match(/deploy permission/);
  });

  it('lets an app reach its own team\'s app by name but not another team\'s, nor the host\'s services', async function () {
    const redAddress = await instanceAddress(redApp);
    const probe = (host: string, port: number) =>
      `require('net').connect({host:'${host}',port:${port},timeout:3000}).on('connect',()=>{console.log('open ${host}:${port}');process.exit(0)})` +
      `.on('timeout',()=>{console.log('closed ${host}:${port}');process.exit(0)}).on('error',()=>{console.log('closed ${host}:${port}');process.exit(0)})`;
    const own = await ann.cli('run', '-a', blueApp, '--', 'node', '-e', probe(blueTwo, 5000));
    expect(own.stdout, own.output).to.include(`open ${blueTwo}:5000`);
    const other = await ann.cli('run', '-a', blueApp, '--', 'node', '-e', probe(redAddress, 5000));
    expect(other.stdout, other.output).to.include(`closed ${redAddress}:5000`);
    const gateway = (await ann.cli('run', '-a', blueApp, '--', 'sh', '-c', "ip route 2>/dev/null | awk '/default/ {print $3}' || true")).stdout.trim()
      || (await docker.getNetwork(`slipway-team-1`).inspect().catch(() => null))?.IPAM?.Config?.[0]?.Gateway || '172.17.0.1';
    for (const port of [2379, slipway.platform.apiPort, 3306, 5000]) {
      const host = await ann.cli('run', '-a', blueApp, '--', 'node', '-e', probe(gateway, port));
      expect(host.stdout, `${gateway}:${port} ${host.output}`).to.include('closed');
    }
    const socket = await ann.cli('run', '-a', blueApp, '--', 'sh', '-c', 'test -e /var/run/docker.sock && echo present || echo absent');
    expect(socket.stdout).to.include('absent');
  });

  it('stops a disabled user at once, and tells their CLI and their git push why', async function () {
    const dave = await newUser(`dave${suffix}`);
    expect((await admin('members:add', dave.name, '--team', blueTeam, '--role', 'member')).code).to.equal(0);
    const disabled = await admin('users:disable', dave.name);
    expect(disabled.code, disabled.output).to.equal(0);

    const apps = await dave.cli('apps');
    expect(apps.code).to.not.equal(0);
    expect(apps.output).to.include(`The user ${dave.name} is disabled`);
    const pushed = await push(dave, blueApp);
    expect(pushed.code).to.not.equal(0);
    expect(pushed.output).to.include(`The user ${dave.name} is disabled`);
    expect(pushed.output, 'not "register your key": the key is registered').to.not.include('not registered');
  });

  it('records every action once, with its user and result, refusals included', async function () {
    const answer = await slipway.api('GET', '/audit?limit=500');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const events = (answer.body as { events: AuditEvent[] }).events;
    const count = (match: Partial<AuditEvent>) => events.filter((e) => Object.entries(match).every(([k, v]) => e[k as keyof AuditEvent] === v)).length;
    expect(count({ user: ann.name, action: 'app.create', app: blueApp, result: 'ok' })).to.equal(1);
    expect(count({ user: bob.name, action: 'app.create', app: redApp, result: 'ok' })).to.equal(1);
    expect(count({ user: ann.name, action: 'git.push', app: blueApp, result: 'ok', via: 'ssh-key' })).to.equal(1);
    expect(count({ user: ann.name, action: 'config.change', app: blueApp, result: 'ok' })).to.equal(1);
    expect(count({ user: bob.name, app: blueApp, result: 'refused' })).to.be.greaterThan(0);
    expect(count({ user: carl.name, app: blueApp, result: 'refused' })).to.be.greaterThan(0);
    expect(JSON.stringify(events)).to.not.include('blue-only');
    // A user reads their own actions and, as a team admin, their team's: nothing of the other team.
    const own = await bob.cli('audit', '--json');
    const bobEvents = JSON.parse(own.stdout) as AuditEvent[];
    expect(bobEvents.length).to.be.greaterThan(0);
    for (const event of bobEvents) {
      if (event.user === bob.name) continue; // his own, refusals on blue's apps included (he named them)
      expect([redTeam, bob.name], JSON.stringify(event)).to.include(event.team); // his team, or his personal one
      expect([blueApp, blueTwo]).to.not.include(event.app);
    }
  });
});
