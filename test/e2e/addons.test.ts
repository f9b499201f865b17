/**
 * Add-ons end to end, as a user works (issue 12's tests): an app pushed by git, with the `pg`,
 * `mysql2` and `redis` clients from npm (fixture node-addons), writes and reads through the URLs
 * of a PostgreSQL, a MySQL and a Redis add-on; a second app of the team reads the same database;
 * bad input is refused and changes nothing; an app of another team cannot reach the servers;
 * credentials are rotated under load with no failed request and the old ones stop working; the
 * servers are killed and Slipway restarted, and the data is still there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import type { AddonJson } from '../../api/schemas/addons';
import { addonContainerName } from '../../engine/addons/docker-servers';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type CommandResult, type TestSlipway } from '../support/slipway';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');
const KINDS = ['postgresql', 'mysql', 'redis'] as const;
type Kind = (typeof KINDS)[number];

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('add-ons end to end: an app pushed by git uses PostgreSQL, MySQL and Redis', function () {
  this.timeout(600_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const app = uniqueName('shop');
  const second = uniqueName('books');
  const stranger = uniqueName('stranger');
  const otherTeam = uniqueName('rivals');
  const addons = {} as Record<Kind, string>;
  let slipway: TestSlipway;
  let home: string;
  let key: { privateKey: string; publicKey: string };
  let cli: (...args: string[]) => Promise<CommandResult>;

  function request(appName: string, method: string, route: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: slipway.config.routerPort, method, path: route, agent: false,
        headers: { host: `${appName}.${slipway.config.domain}` },
      }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => { body += chunk; });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function read(appName: string): Promise<Record<string, string | null>> {
    const answer = await request(appName, 'GET', '/read');
    if (answer.status !== 200) throw new Error(`GET /read answered ${answer.status}: ${answer.body}`);
    return JSON.parse(answer.body) as Record<string, string | null>;
  }

  async function push(fixture: string, appName: string): Promise<void> {
    const copy = await WorkingCopy.fromFixture(fixture, key.privateKey);
    try {
      const pushed = await copy.push(slipway.gitUrl(appName));
      expect(pushed.code, pushed.output).to.equal(0);
    } finally {
      copy.remove();
    }
  }

  /** The CLI with `input` on its stdin (a pipe), as `echo … | slipway …` runs it. */
  function cliWithInput(input: string, ...args: string[]): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('node', [BIN, ...args], {
        cwd: home, env: { ...process.env, SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c; });
      child.stderr.on('data', (c: Buffer) => { stderr += c; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, output: stdout + stderr }));
      child.stdin.end(input);
    });
  }

  async function ok(...args: string[]): Promise<CommandResult> {
    const result = await cli(...args);
    expect(result.code, `slipway ${args.join(' ')}: ${result.output}`).to.equal(0);
    return result;
  }

  async function info(name: string, reveal = false): Promise<AddonJson> {
    return (await slipway.api<AddonJson>('GET', `/addons/${name}${reveal ? '?reveal=true' : ''}`)).body;
  }

  /** Runs `node probe.js URL` as a one-off of the app: "connected" or "failed: why". */
  async function probe(appName: string, url: string): Promise<string> {
    const result = await ok('run', '-a', appName, '--', 'node', 'probe.js', url);
    return result.stdout.trim().split('\n').pop() ?? '';
  }

  before(async function () {
    // Apps with three database clients start slower than the default 20 s allows on a busy shared machine.
    slipway = await startTestSlipway({ SLIPWAY_BOOT_TIMEOUT: '90' });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-addons-e2e-'));
    const env = { SLIPWAY_API_URL: '', SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home };
    // The API's port changes when Slipway restarts: read it at each command.
    cli = (...args) => run('node', [BIN, ...args], { cwd: home, env: { ...env, SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}` } });
    key = await makeSshKey(home);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    await ok('apps:create', app);
    await ok('apps:create', second);
    await ok('teams:create', otherTeam);
    await ok('apps:create', stranger, '--team', otherTeam);

    // One after the other, each recorded before the next: the first takes DATABASE_URL, MySQL
    // then gets MYSQL_URL only, Redis CACHE_URL and REDIS_URL. They provision while the app builds.
    for (const [kind, as] of [['postgresql', null], ['mysql', 'MYSQL'], ['redis', 'CACHE']] as const) {
      await ok('addons:create', app, kind, '--no-wait', ...(as ? ['--as', as] : []));
    }
    const listed = JSON.parse((await ok('addons', app, '--json')).stdout) as AddonJson[];
    for (const kind of KINDS) addons[kind] = listed.find((a) => a.kind === kind)!.name;
    await Promise.all([push('node-addons', app), push('dockerfile-basic', stranger)]);
    for (const kind of KINDS) await ok('addons:wait', addons[kind]);
    const config = (await slipway.api<Record<string, string>>('GET', `/apps/${app}/config`)).body;
    expect(Object.keys(config).sort()).to.deep.equal(['CACHE_URL', 'DATABASE_URL', 'MYSQL_URL', 'REDIS_URL']);
    expect(config.DATABASE_URL).to.match(/^postgres:\/\//);
    expect(config.MYSQL_URL).to.match(/^mysql:\/\//);
    expect(config.REDIS_URL).to.match(/^redis:\/\//).and.equal(config.CACHE_URL);
  });

  after(async function () {
    for (const name of Object.values(addons)) await slipway.api('DELETE', `/addons/${name}?confirm=${name}&detachAll=true`);
    for (const name of [app, second, stranger]) await slipway.api('DELETE', `/apps/${name}?confirm=${name}`);
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('writes and reads through DATABASE_URL, MYSQL_URL, CACHE_URL and REDIS_URL', async function () {
    const all = { CACHE_URL: 'one', DATABASE_URL: 'one', MYSQL_URL: 'one', REDIS_URL: 'one' };
    // The release with every binding may still be rolling out: write until it answers.
    const written = await waitFor('the app to write through every add-on', async () => {
      const answer = await request(app, 'POST', '/write?v=one');
      return answer.status === 200 && Object.keys(JSON.parse(answer.body) as object).length === 4 ? answer : null;
    });
    expect(JSON.parse(written.body)).to.deep.equal(all);
    expect(await read(app)).to.deep.equal(all);
  });

  it('opens each add-on\'s own client through the app (addons:connect), and refuses an app it is not attached to', async function () {
    const queries: Record<Kind, string> = { postgresql: "select v from kv where k = 'e2e';", mysql: "select v from kv where k = 'e2e';", redis: 'GET e2e' };
    const config = (await slipway.api<Record<string, string>>('GET', `/apps/${app}/config`)).body;
    for (const kind of KINDS) {
      // stdin is a pipe, not a terminal: the client reads the query from it, as `echo … | slipway addons:connect` does.
      const result = await cliWithInput(`${queries[kind]}\n`, 'addons:connect', '-a', app, addons[kind]);
      expect(result.code, `${kind}: ${result.output}`).to.equal(0);
      expect(result.stdout, kind).to.match(/^\s*one\s*$/m);
      for (const url of [config.DATABASE_URL!, config.MYSQL_URL!, config.REDIS_URL!]) expect(result.output).to.not.include(new URL(url).password);
    }
    // An app of the team it is not attached to (yet) is told how to attach it; an app of another
    // team is told there is no such add-on, as if the name were unknown.
    const notAttached = await cli('addons:connect', '-a', second, addons.postgresql);
    expect(notAttached.code).to.equal(1);
    expect(notAttached.stderr).to.include(`is not attached to ${second}`).and.include(`slipway addons:attach ${addons.postgresql} ${second}`);
    const otherTeam = await cli('addons:connect', '-a', stranger, addons.postgresql);
    expect(otherTeam.code).to.equal(1);
    expect(otherTeam.stderr).to.include(`There is no add-on named "${addons.postgresql}"`);
  });

  it('attaches the same database to a second app of the team, which reads the same data', async function () {
    await ok('addons:attach', addons.postgresql, '-a', second, '--as', 'MAIN_DB');
    await push('node-addons', second);
    expect(await read(second)).to.deep.equal({ DATABASE_URL: 'one', MAIN_DB_URL: 'one' });
    const attached = await info(addons.postgresql);
    expect(attached.attachments.map((a) => a.app).sort()).to.deep.equal([app, second].sort());
  });

  it('refuses bad input with a clear error and changes nothing', async function () {
    const before = {
      addons: (await slipway.api('GET', '/addons')).body,
      config: (await slipway.api('GET', `/apps/${app}/config`)).body,
      releases: (await slipway.api('GET', `/apps/${app}/releases`)).body,
    };
    const refusals: Array<[string[], RegExp]> = [
      [['addons:create', app, 'oracle'], /Unknown add-on kind "oracle": use postgresql, mysql, redis/],
      [['addons:create', app, 'redis', '--as', 'MYSQL'], /already has MYSQL_URL, set by the add-on .*--as NAME/],
      [['addons:destroy', addons.redis, '--confirm', addons.redis], /is attached to .*addons:detach .*--detach-all/],
      [['addons:backups:restore', addons.postgresql, 'b001'], /--confirm/],
      [['config:set', 'DATABASE_URL=postgres://elsewhere/db', '-a', app], /addons:detach/],
      [['config:unset', 'REDIS_URL', '-a', app], /addons:detach/],
    ];
    for (const [args, message] of refusals) {
      const result = await cli(...args);
      expect(result.code, `slipway ${args.join(' ')}`).to.not.equal(0);
      expect(result.stderr, `slipway ${args.join(' ')}`).to.match(message);
    }
    expect((await slipway.api('GET', '/addons')).body).to.deep.equal(before.addons);
    expect((await slipway.api('GET', `/apps/${app}/config`)).body).to.deep.equal(before.config);
    expect((await slipway.api('GET', `/apps/${app}/releases`)).body).to.deep.equal(before.releases);
  });

  it('is unreachable from an app of another team, by name or by address', async function () {
    const targets: string[] = [];
    for (const kind of KINDS) {
      const container = await docker.getContainer(addonContainerName(addons[kind])).inspect();
      const port = { postgresql: 5432, mysql: 3306, redis: 6379 }[kind];
      const address = Object.entries(container.NetworkSettings.Networks).find(([net]) => net.startsWith('slipway-team-'))![1].IPAddress;
      targets.push(`${addons[kind]}:${port}`, `${address}:${port}`);
    }
    // One bounded TCP attempt per target, from a one-off of the other team's app.
    const script = `const targets=${JSON.stringify(targets)};let left=targets.length;for(const t of targets){const [host,port]=t.split(':');`
      + `const s=require('net').connect({host,port:Number(port),timeout:3000});const done=(r)=>{s.destroy();console.log(r+' '+t);if(--left===0)process.exit(0)};`
      + `s.on('connect',()=>done('open')).on('timeout',()=>done('closed')).on('error',()=>done('closed'))}`;
    const result = await ok('run', '-a', stranger, '--', 'node', '-e', script);
    for (const target of targets) expect(result.stdout, result.output).to.include(`closed ${target}`);
    expect(result.stdout).to.not.include('open ');
  });

  it('rotates credentials under load with no failed request, and the old password stops working', async function () {
    const old = {} as Record<Kind, string>;
    for (const kind of KINDS) old[kind] = (await info(addons[kind], true)).url!;
    const expected = { CACHE_URL: 'one', DATABASE_URL: 'one', MYSQL_URL: 'one', REDIS_URL: 'one' };
    let rotating = true;
    const failures: string[] = [];
    let served = 0;
    // Two clients in a loop through the router, each waiting for its answer: bounded load.
    const load = Promise.all([1, 2].map(async () => {
      while (rotating) {
        const answer = await request(app, 'GET', '/read').catch((error: Error) => ({ status: 0, body: error.message }));
        served += 1;
        if (answer.status !== 200 || answer.body !== JSON.stringify(expected)) failures.push(`${answer.status} ${answer.body}`);
      }
    }));
    try {
      for (const kind of KINDS) await ok('addons:credentials:rotate', addons[kind]);
    } finally {
      rotating = false;
      await load;
    }
    expect(failures, failures.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(served).to.be.greaterThan(0);
    for (const kind of KINDS) {
      expect((await info(addons[kind], true)).url).to.not.equal(old[kind]);
      expect(await probe(app, old[kind]), `${kind}, old credentials`).to.match(/^failed: .*(password authentication failed|Access denied|WRONGPASS)/);
    }
    expect(await read(second)).to.deep.equal({ DATABASE_URL: 'one', MAIN_DB_URL: 'one' });
  });

  it('keeps the data when the servers are killed and Slipway restarts', async function () {
    expect(JSON.parse((await request(app, 'POST', '/write?v=two')).body)).to.deep.equal({ CACHE_URL: 'two', DATABASE_URL: 'two', MYSQL_URL: 'two', REDIS_URL: 'two' });
    for (const kind of KINDS) await docker.getContainer(addonContainerName(addons[kind])).kill();
    await slipway.restart();
    const back = await waitFor('the app to read its data again', async () => {
      const values = await read(app);
      return Object.values(values).every((v) => v === 'two') ? values : null;
    });
    expect(back).to.deep.equal({ CACHE_URL: 'two', DATABASE_URL: 'two', MYSQL_URL: 'two', REDIS_URL: 'two' });
    for (const kind of KINDS) expect((await docker.getContainer(addonContainerName(addons[kind])).inspect()).State.Running).to.equal(true);
  });
});
