import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { followProgress } from '../../../builder/docker-streams';
import { DockerDriver } from '../../../engine/drivers/docker-driver';
import { waitUntilServing, type BootWatch } from '../../../engine/health';
import { pidsLimitFor } from '../../../engine/pids-limit';
import type { Instance, InstanceSpec } from '../../../engine/runtime-driver';
import { httpGet, uniqueName } from '../../support/slipway';
import { waitFor } from './wait-for';

const STACK_WITH_NODE = 'slipway/stack-build:latest'; // Debian's nodejs; stack-run has no HTTP server at hand
const STACK_RUN = 'slipway/stack-run:latest';
const CONTAINER_PORT = 5000;
const WEB_COMMAND = 'echo "booting $SLIPWAY_RELEASE as $DYNO on $PORT"; '
  + 'exec node -e "require(\'http\').createServer((q, s) => s.end(\'ok \' + process.env.SLIPWAY_RELEASE)).listen(process.env.PORT)"';

function fetchUrl(url: string): Promise<{ status: number; body: string }> {
  const { port, host } = new URL(url);
  return httpGet(Number(port), host, '/');
}

describe('engine/drivers/docker-driver DockerDriver against dockerd', () => {
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const driver = new DockerDriver(docker, 'driver-test');
  const app = uniqueName('drv');
  const otherApp = uniqueName('drv-other');

  /** The deployer's view of a dying web process (engine/deployer.ts waitForWeb). */
  function watch(instanceId: string): BootWatch {
    return {
      stillAlive: async () => {
        const now = await driver.inspect(instanceId);
        if (!now) return 'web process disappeared while starting';
        if (now.state === 'crashed' || now.state === 'exited' || now.restartCount > 0) return 'web process exited while starting';
        return null;
      },
    };
  }

  function spec(overrides: Partial<InstanceSpec>): InstanceSpec {
    return {
      app, release: 3, process: 'web', image: STACK_WITH_NODE, command: WEB_COMMAND,
      env: { SLIPWAY_RELEASE: 'v3', DYNO: 'web.1' }, port: CONTAINER_PORT, memoryMb: 256, cpu: 0.5, ...overrides,
    };
  }

  after(async () => {
    for (const name of [app, otherApp]) {
      for (const instance of await driver.list(name)) await driver.stop(instance.id, 0);
    }
    // Belt and braces: nothing labelled with our app names may survive the test.
    const left = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
  });

  describe('a web instance', () => {
    let instance: Instance;

    before(async () => {
      instance = await driver.start(spec({}));
      const result = await waitUntilServing(instance.url ?? 'http://127.0.0.1:1', 30_000, watch(instance.id));
      expect(result).to.deep.equal({ ok: true });
    });

    after(async () => {
      await driver.stop(instance.id, 0);
    });

    it('starts running, labelled with app, release and process, published on 127.0.0.1 only', async () => {
      expect(instance.id).to.match(new RegExp(`^${app}\\.web\\.[0-9a-f]{8}$`));
      expect(instance).to.include({ app, release: 3, process: 'web', state: 'running', restartCount: 0 });
      expect(instance.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(instance.startedAt).to.be.instanceOf(Date);
      const info = await docker.getContainer(`slipway-${instance.id}`).inspect();
      const bindings = Object.values(info.NetworkSettings.Ports ?? {}).flat().filter(Boolean);
      expect(bindings).to.not.be.empty;
      expect(bindings.map((b) => b.HostIp)).to.satisfy((ips: string[]) => ips.every((ip) => ip === '127.0.0.1'));
      expect(Math.abs(Date.now() - (instance.startedAt as Date).getTime())).to.be.below(5 * 60_000);
    });

    it('serves HTTP on its url, with $PORT and the release\'s env vars set', async () => {
      expect(await fetchUrl(instance.url!)).to.deep.equal({ status: 200, body: 'ok v3' });
    });

    it('is found by inspect and by list of its app (and of all apps), not by list of another app', async () => {
      expect(await driver.inspect(instance.id)).to.deep.equal(instance);
      expect((await driver.list(app)).map((i) => i.id)).to.deep.equal([instance.id]);
      expect((await driver.list()).map((i) => i.id)).to.include(instance.id);
      expect(await driver.list(otherApp)).to.deep.equal([]);
    });

    it('returns what the process printed as its logs', async () => {
      const logs = await waitFor('the boot line in the logs', async () => {
        const text = await driver.logs(instance.id, 50);
        return text.includes('booting') ? text : null;
      });
      expect(logs).to.include(`booting v3 as web.1 on ${CONTAINER_PORT}\n`);
    });
  });

  it('runs a process that serves no HTTP without a port, and stop removes it', async () => {
    const worker = await driver.start(spec({ process: 'worker', command: 'echo working; exec sleep 300', image: STACK_RUN, env: { DYNO: 'worker.1' } }));
    try {
      expect(worker).to.include({ app, process: 'worker', state: 'running', url: null });
      expect(worker.id).to.match(new RegExp(`^${app}\\.worker\\.`));
      await waitFor('the worker\'s output', async () => (await driver.logs(worker.id, 10)) === 'working\n');
    } finally {
      await driver.stop(worker.id, 0);
    }
    expect(await driver.inspect(worker.id)).to.equal(null);
    expect((await driver.list(app)).map((i) => i.id)).not.to.include(worker.id);
    expect(await docker.listContainers({ all: true, filters: { name: [`slipway-${worker.id}`] } })).to.deep.equal([]);
  });

  it('passes SIGTERM on to a process that sets no handler of its own (an init runs as PID 1)', async () => {
    // `sleep` as PID 1 would ignore SIGTERM and wait out the whole grace period for SIGKILL (137).
    const worker = await driver.start(spec({ process: 'worker', command: 'exec sleep 300', image: STACK_RUN, env: { DYNO: 'worker.1' } }));
    try {
      const container = docker.getContainer(`slipway-${worker.id}`);
      await container.stop({ t: 60 });
      const info = await container.inspect();
      expect(info.State.ExitCode).to.equal(143); // 128 + SIGTERM: the app got the signal and died of it
    } finally {
      await driver.stop(worker.id, 0);
    }
  });

  it('contains a fork bomb: the processes of an instance stop at the PID limit of its size', async () => {
    // Bounded on purpose: 600 sleeps at most, even with no limit at all, so the host never suffers.
    // dash (sh) gives up at the first fork that fails ("Cannot fork") instead of retrying as bash does.
    const memoryMb = 512;
    const limit = pidsLimitFor(memoryMb);
    expect(limit).to.be.below(600);
    const bomb = 'exec sh -c \'i=0; while [ $i -lt 600 ]; do sleep 300 & i=$((i+1)); done; echo "forked $i"; wait\'';
    const worker = await driver.start(spec({ process: 'worker', command: bomb, image: STACK_RUN, env: { DYNO: 'worker.1' }, memoryMb }));
    try {
      const output = await waitFor('the fork loop to end', async () => {
        const logs = await driver.logs(worker.id, 20);
        return /Cannot fork|forked 600/.test(logs) ? logs : null;
      }, { timeoutMs: 60_000 });
      expect(output).to.include('Cannot fork').and.not.include('forked 600');
      const info = await docker.getContainer(`slipway-${worker.id}`).inspect();
      expect(info.HostConfig.PidsLimit).to.equal(limit);
    } finally {
      await driver.stop(worker.id, 0);
    }
  });

  it('treats stopping, inspecting and reading logs of a missing instance as no error', async () => {
    const missing = `${app}.web.deadbeef`;
    await driver.stop(missing, 0);
    expect(await driver.inspect(missing)).to.equal(null);
    expect(await driver.logs(missing, 10)).to.equal('');
  });

  it('shows a crashing process as crashed or restarting, and the boot wait gives up early on it', async () => {
    const crashing = await driver.start(spec({ command: 'echo "Error: cannot find module express"; exit 3', env: { DYNO: 'web.1' } }));
    try {
      const dead = await waitFor('the instance to crash', async () => {
        const now = await driver.inspect(crashing.id);
        return now && (now.state === 'crashed' || now.restartCount > 0) ? now : null;
      });
      expect(dead.id).to.equal(crashing.id);

      const started = Date.now();
      const result = await waitUntilServing(crashing.url ?? 'http://127.0.0.1:1', 60_000, watch(crashing.id));
      expect(result).to.deep.equal({ ok: false, reason: 'web process exited while starting' });
      expect(Date.now() - started).to.be.below(30_000);

      expect(await driver.logs(crashing.id, 20)).to.include('Error: cannot find module express');
    } finally {
      await driver.stop(crashing.id, 0);
    }
    expect(await driver.inspect(crashing.id)).to.equal(null);
  });

  describe('a Dockerfile app (command null)', () => {
    const tag = `slipway-test-cmd-${crypto.randomBytes(4).toString('hex')}:latest`;

    before(async () => {
      const context = tar.pack();
      context.entry({ name: 'Dockerfile' }, [
        `FROM ${STACK_WITH_NODE}`,
        'CMD ["node", "-e", "require(\'http\').createServer((q, s) => s.end(\'own cmd on \' + process.env.PORT)).listen(process.env.PORT)"]',
        '',
      ].join('\n'));
      context.finalize();
      const stream = await docker.buildImage(context as unknown as Readable, { t: tag });
      const errors: string[] = [];
      await followProgress(docker, stream, (event) => { if (event.error) errors.push(String(event.error)); });
      expect(errors).to.deep.equal([]);
    });

    after(async () => {
      await docker.getImage(tag).remove({ force: true });
    });

    it('runs the image\'s own CMD, with $PORT set', async () => {
      const web = await driver.start(spec({ image: tag, command: null }));
      try {
        expect(await waitUntilServing(web.url!, 30_000, watch(web.id))).to.deep.equal({ ok: true });
        expect(await fetchUrl(web.url!)).to.deep.equal({ status: 200, body: `own cmd on ${CONTAINER_PORT}` });
      } finally {
        await driver.stop(web.id, 0);
      }
    });
  });
});
