/**
 * One-off processes end to end: a Dockerfile app deployed by a real git push, then
 * `slipway run` through the API's attach protocol and `ssh git@host run` through the SSH server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';
import { waitFor } from '../integration/engine/wait-for';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');

interface Dyno { id: string; state: string; command: string }

describe('slipway run: one-off processes (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let key: { privateKey: string; publicKey: string };
  const app = uniqueName('run');
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });

  const cliEnv = () => ({ SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home });
  const cli = (...args: string[]) => run('node', [BIN, ...args], { cwd: home, env: cliEnv() });
  const ssh = (...args: string[]) => run('ssh', [
    '-p', String(slipway.platform.sshPort), '-i', key.privateKey,
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR',
    'git@127.0.0.1', ...args,
  ], { cwd: home });

  async function oneOffContainers(): Promise<string[]> {
    const found = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`, 'slipway.process=run'] } });
    return found.map((c) => c.Labels['slipway.one-off'] ?? '');
  }

  before(async function () {
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    key = await makeSshKey(home);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    const copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    try {
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
    } finally {
      copy.remove();
    }
    const config = await slipway.api('PATCH', `/apps/${app}/config`, { GREETING: 'hello from config' });
    expect(config.status, JSON.stringify(config.body)).to.equal(200);
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('runs a command in a new container of the current release, with its config, and exits with its code', async function () {
    const result = await cli('run', app, '--', 'node', '-e', "process.stdout.write(process.env.GREETING||'none'); process.exit(7)");
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.equal('hello from config');
    expect(result.code).to.equal(7);
    const env = await cli('run', app, 'echo "$PORT $SLIPWAY_RELEASE $DYNO"');
    expect(env.code, env.output).to.equal(0);
    expect(env.stdout).to.match(/^5000 v2 run\.\d+\n$/);
    expect(await oneOffContainers()).to.deep.equal([]); // each one-off is removed when it ends
  });

  it('passes piped stdin to the process and keeps stdout and stderr apart', async function () {
    const piped = await run('sh', ['-c', `echo hi | node ${BIN} run ${app} cat`], { cwd: home, env: cliEnv() });
    expect(piped).to.include({ code: 0, stdout: 'hi\n', stderr: '' });
    const split = await cli('run', app, 'echo out; echo err >&2; exit 2');
    expect(split).to.include({ code: 2, stdout: 'out\n', stderr: 'err\n' });
  });

  it('gives the process a terminal of the local size when stdin is a terminal', async function () {
    // script(1) runs the CLI on a pseudo-terminal, as an interactive shell would.
    const result = await run('script', ['-qec', `stty cols 101 rows 29; node ${BIN} run ${app} -- sh -c 'tty; stty size; exit 9'`, '/dev/null'], {
      cwd: home, env: cliEnv(),
    });
    expect(result.code, result.output).to.equal(9);
    expect(result.stdout).to.match(new RegExp(`Running sh -c 'tty; stty size; exit 9' on ${app}\\.\\.\\. up, run\\.\\d+ \\(v2\\)\\r\\n/dev/pts/\\d+\\r\\n29 101\\r\\n$`));
  });

  it('starts a detached one-off that returns at once, runs in the background, and can be stopped', async function () {
    const result = await cli('run', '--detach', app, '--', 'sh', '-c', 'echo "detached $GREETING"; exec sleep 300');
    expect(result.code, result.output).to.equal(0);
    expect(result.stdout).to.match(/^run\.\d+\n$/);
    const id = result.stdout.trim();
    const dynos = (await slipway.api<Dyno[]>('GET', `/apps/${app}/dynos`)).body;
    expect(dynos.map((d) => [d.id, d.state])).to.deep.include([id, 'running']);
    const logs = await waitFor('the detached output in the container log', async () => {
      const text = (await docker.getContainer(`slipway-${app}.${id}`).logs({ stdout: true, stderr: true })).toString('utf8');
      return text.includes('detached') ? text : null;
    });
    expect(logs).to.include('detached hello from config');
    expect((await slipway.api('DELETE', `/apps/${app}/dynos/${id}`)).status).to.equal(204);
    await waitFor('the stopped one-off to be removed', async () => !(await oneOffContainers()).includes(id));
    expect((await slipway.api('DELETE', `/apps/${app}/dynos/${id}`)).status).to.equal(404);
  });

  it('refuses an app without a release with a clear error', async function () {
    const fresh = uniqueName('norel');
    await slipway.api('POST', '/apps', { name: fresh });
    try {
      const result = await cli('run', fresh, 'ls');
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('has no release yet: deploy first with git push');
      const missing = await cli('run', uniqueName('nope'), 'ls');
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.include("Couldn't find an app named");
    } finally {
      await slipway.api('DELETE', `/apps/${fresh}?confirm=${fresh}`);
    }
  });

  it('runs over SSH for a registered key, with the exit code and config (ssh git@host run APP CMD)', async function () {
    const hello = await ssh('run', app, 'echo', 'hello');
    expect(hello).to.include({ code: 0, stdout: 'hello\n' });
    const config = await ssh('run', app, 'echo "$GREETING" >&2; exit 4');
    expect(config).to.include({ code: 4, stdout: '', stderr: 'hello from config\n' });
    const piped = await run('sh', ['-c', `printf 'one\\ntwo\\n' | ssh -p ${slipway.platform.sshPort} -i ${key.privateKey} -o StrictHostKeyChecking=no `
      + `-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR git@127.0.0.1 run ${app} wc -l`], { cwd: home });
    expect(piped).to.include({ code: 0, stdout: '2\n' });
  });

  it('gives an SSH session with -t a terminal', async function () {
    const result = await ssh('-tt', 'run', app, 'tty; exit 3');
    expect(result.code, result.output).to.equal(3);
    expect(result.stdout).to.match(/^\/dev\/pts\/\d+\r\n$/);
  });

  it('refuses run over SSH for an unregistered key, and for an app without a name or command', async function () {
    const stranger = await makeSshKey(home, 'stranger');
    const refused = await run('ssh', [
      '-p', String(slipway.platform.sshPort), '-i', stranger.privateKey, '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', 'git@127.0.0.1', 'run', app, 'echo', 'no',
    ], { cwd: home });
    expect(refused.code).to.not.equal(0);
    expect(refused.stdout).to.equal('');
    const noCommand = await ssh('run', app);
    expect(noCommand.code).to.equal(1);
    expect(noCommand.stderr).to.include(`Give a command to run, e.g. ssh git@<host> run ${app} bash`);
    expect(await oneOffContainers()).to.deep.equal([]);
  });
});
