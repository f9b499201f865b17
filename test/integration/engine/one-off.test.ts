import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { followProgress } from '../../../builder/docker-streams';
import { DockerOneOff } from '../../../engine/drivers/docker-one-off';
import { pidsLimitFor } from '../../../engine/pids-limit';
import { newOneOffId, oneOffContainerName, oneOffEnv, type AttachedOneOff, type OneOffSpec } from '../../../engine/one-off';
import { uniqueName } from '../../support/slipway';
import { waitFor } from './wait-for';

/** Stands in for a release image: it has bash, Debian's node, the launcher and /app. */
const RELEASE_IMAGE = 'slipway/stack-build:latest';

describe('engine/drivers/docker-one-off DockerOneOff against dockerd', function () {
  this.timeout(60_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const runner = new DockerOneOff(docker);
  const app = uniqueName('oneoff');

  function spec(command: string, overrides: Partial<OneOffSpec> = {}): OneOffSpec {
    const id = newOneOffId();
    return {
      app, release: 4, id, image: RELEASE_IMAGE, command,
      env: oneOffEnv({ GREETING: 'hello from config' }, 4, id, 5000, overrides.tty ? 'xterm' : null),
      tty: false, size: null, limits: { memoryMb: 256, cpu: 0.5 }, ...overrides,
    };
  }

  async function containerExists(id: string): Promise<boolean> {
    const found = await docker.listContainers({ all: true, filters: { name: [oneOffContainerName(app, id)] } });
    return found.length > 0;
  }

  /** Runs attached, feeding `input` then EOF (unless null), and collects what comes out. */
  async function run(s: OneOffSpec, input: string | null = ''): Promise<{ code: number; stdout: string; stderr: string; proc: AttachedOneOff }> {
    const proc = await runner.attach(s);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    if (input !== null) proc.stdin.end(input);
    const code = await proc.exit;
    return { code, stdout, stderr, proc };
  }

  after(async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  });

  it('propagates the exit code and removes the container once the process ends', async () => {
    const s = spec('exit 3');
    const result = await run(s);
    expect(result.code).to.equal(3);
    expect(await containerExists(s.id)).to.equal(false);
    expect((await run(spec('true'))).code).to.equal(0);
  });

  it('keeps stdout and stderr apart without a TTY', async () => {
    const result = await run(spec('echo out; echo err >&2; echo out2'));
    expect(result).to.include({ code: 0, stdout: 'out\nout2\n', stderr: 'err\n' });
  });

  it('passes stdin to the process and closes it at the end of the input', async () => {
    const result = await run(spec('cat; echo "<eof>"'), 'hello\nworld\n');
    expect(result).to.include({ code: 0, stdout: 'hello\nworld\n<eof>\n', stderr: '' });
  });

  it('streams large output completely', async () => {
    const result = await run(spec('head -c 3000000 /dev/zero | tr "\\0" x; echo; echo tail >&2'));
    expect(result.code).to.equal(0);
    expect(result.stdout.length).to.equal(3_000_001);
    expect(result.stderr).to.equal('tail\n');
  });

  it('sets the release config vars, PORT, SLIPWAY_RELEASE and DYNO, runs through the launcher in /app, and labels the container', async () => {
    const s = spec('echo "$GREETING|$PORT|$SLIPWAY_RELEASE|$DYNO|$HOME|$(pwd)"; sleep 0.2');
    const proc = await runner.attach(s);
    let stdout = '';
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    proc.stdin.end();
    const info = await docker.getContainer(oneOffContainerName(app, s.id)).inspect();
    expect(info.Config.Labels).to.include({
      'slipway.app': app, 'slipway.process': 'run', 'slipway.release': '4', 'slipway.one-off': s.id, 'slipway.instance': `${app}.${s.id}`,
    });
    expect(info.HostConfig.AutoRemove).to.equal(true);
    expect(info.HostConfig.Memory).to.equal(256 * 1024 * 1024);
    expect(info.HostConfig.PidsLimit).to.equal(pidsLimitFor(256)); // a fork bomb in a console stays in it
    expect(await proc.exit).to.equal(0);
    expect(stdout).to.equal(`hello from config|5000|v4|${s.id}|/app|/app\n`);
  });

  it('gives the process a TTY of the size asked for, and resizes it', async () => {
    const s = spec('tty; stty size; read line; stty size; echo "got $line"', { tty: true, size: { cols: 101, rows: 27 } });
    const proc = await runner.attach(s);
    let output = '';
    proc.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    await waitFor('the first size', async () => output.includes(' 101\r\n'));
    await proc.resize({ cols: 132, rows: 43 });
    proc.stdin.write('typed\r');
    expect(await proc.exit).to.equal(0);
    expect(output).to.match(/^\/dev\/pts\/\d+\r\n27 101\r\n/);
    expect(output).to.include('43 132\r\n');
    expect(output).to.include('got typed\r\n');
    expect(await containerExists(s.id)).to.equal(false);
  });

  it('kill removes a proc that is still running', async () => {
    const s = spec('sleep 300');
    const proc = await runner.attach(s);
    expect(await containerExists(s.id)).to.equal(true);
    await proc.kill();
    expect(await proc.exit).to.not.equal(0);
    expect(await containerExists(s.id)).to.equal(false);
  });

  it('starts a detached proc that runs in the background, lists it, and stop removes it', async () => {
    const s = spec('echo "detached $DYNO"; exec sleep 300');
    const started = Date.now();
    const info = await runner.detach(s);
    expect(Date.now() - started).to.be.below(15_000);
    expect(info).to.include({ id: s.id, app, release: 4, state: 'running' });
    const logs = await waitFor('the detached output in the container log', async () => {
      const buffer = await docker.getContainer(oneOffContainerName(app, s.id)).logs({ stdout: true, stderr: true, follow: false });
      const text = buffer.toString('utf8');
      return text.includes('detached') ? text : null;
    });
    expect(logs).to.include(`detached ${s.id}`);
    const listed = await runner.list(app);
    expect(listed.map((o) => [o.id, o.state, o.command])).to.deep.include([s.id, 'running', s.command]);
    expect(await runner.stop(app, s.id)).to.equal(true);
    await waitFor('the detached one-off to be removed', async () => !(await containerExists(s.id)));
    expect(await runner.stop(app, s.id)).to.equal(false);
  });

  it('removes a detached proc once it ends', async () => {
    const s = spec('echo done');
    await runner.detach(s);
    await waitFor('the ended one-off to be removed', async () => !(await containerExists(s.id)));
  });

  describe('a Dockerfile image with its own WORKDIR and ENTRYPOINT', () => {
    const tag = `slipway-test-oneoff-${crypto.randomBytes(4).toString('hex')}:latest`;

    before(async () => {
      const context = tar.pack();
      context.entry({ name: 'Dockerfile' }, [`FROM ${RELEASE_IMAGE}`, 'WORKDIR /srv', 'ENTRYPOINT ["node"]', 'CMD ["server.js"]', ''].join('\n'));
      context.finalize();
      const stream = await docker.buildImage(context as unknown as Readable, { t: tag });
      const errors: string[] = [];
      await followProgress(docker, stream, (event) => { if (event.error) errors.push(String(event.error)); });
      expect(errors).to.deep.equal([]);
    });

    after(async () => {
      await docker.getImage(tag).remove({ force: true });
    });

    it('runs the command with bash in the image\'s working directory, not through its entrypoint', async () => {
      const result = await run(spec('echo "$(pwd) $0"; node -e "process.exit(5)"', { image: tag }));
      expect(result).to.include({ code: 5, stdout: '/srv bash\n' });
    });
  });
});
