/**
 * The collector against the real dockerd: output written right before a crash is kept, and a
 * collector started again (as after a platform restart) reads on from its cursor, nothing twice.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerLogCollector } from '../../../engine/logs/docker-collector';
import { LogHub } from '../../../engine/logs/log-hub';
import type { LogLine } from '../../../engine/logs/log-line';
import { LogStore } from '../../../engine/logs/log-store';
import { silentLogger } from '../../../lib/log';
import { uniqueName } from '../../support/slipway';

const IMAGE = 'slipway/stack-run:latest';

describe('engine/logs/docker-collector against dockerd', () => {
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const platform = `logs-test-${crypto.randomBytes(4).toString('hex')}`;
  let root: string;
  const containers: Docker.Container[] = [];

  const openStore = () => new LogStore(root, { maxLines: 10_000, maxAgeMs: 86_400_000, maxBytes: 1 << 26 }, silentLogger());

  async function run(app: string, script: string): Promise<Docker.Container> {
    const container = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['bash', '-c', script],
      Env: ['DYNO=web.1'],
      Labels: { 'slipway.app': app, 'slipway.platform': platform, 'slipway.process': 'web', 'slipway.instance': `${app}.web.test` },
      HostConfig: { RestartPolicy: { Name: 'no' } },
    });
    containers.push(container);
    await container.start();
    return container;
  }

  /** Resolves once `test` holds for what the hub has seen of `app` (no sleeping). */
  function waitForLines(hub: LogHub, app: string, test: (seen: LogLine[]) => boolean): { seen: LogLine[]; done: Promise<void> } {
    const seen: LogLine[] = [];
    let stop = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      stop = hub.follow(app, (lines) => {
        seen.push(...lines);
        if (test(seen)) { stop(); resolve(); }
      });
    });
    return { seen, done };
  }

  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-collector-')); });
  afterEach(async () => {
    for (const container of containers.splice(0)) await container.remove({ force: true }).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('keeps what a process wrote right before it crashed, tagged with its instance, and says it crashed', async () => {
    const app = uniqueName('crash');
    const store = openStore();
    const hub = new LogHub(store, { ratePerSecond: 10_000 }, silentLogger());
    const collector = new DockerLogCollector(docker, platform, hub, store, silentLogger());
    await collector.start();
    // Docker delivers stdout and stderr apart: wait for the last line of each and the crash.
    const wait = waitForLines(hub, app, (seen) => seen.some((l) => l.text.includes('State changed from up to crashed'))
      && seen.some((l) => l.text === 'last words') && seen.some((l) => l.text === 'to stderr'));
    await run(app, 'for i in 1 2 3; do echo "line $i"; done; echo "to stderr" >&2; printf "last words"; exit 3');
    await wait.done;
    const history = await store.read(app, { lines: 100 });
    const appLines = history.filter((l) => l.source === 'app');
    // Docker times stdout and stderr separately, so only each stream's own order is certain.
    expect(appLines.map((l) => l.text).filter((t) => t !== 'to stderr')).to.deep.equal(['line 1', 'line 2', 'line 3', 'last words']);
    expect(appLines.map((l) => l.text)).to.include('to stderr');
    expect(appLines.every((l) => l.process === 'web.1')).to.equal(true);
    expect(history.filter((l) => l.source === 'slipway').map((l) => `${l.process}: ${l.text}`)).to.include.members([
      'web.1: Process exited with status 3', 'web.1: State changed from up to crashed',
    ]);
    await collector.close();
    await store.close();
  });

  it('after a restart of the platform, reads on from the last line kept: nothing lost, nothing twice', async () => {
    const app = uniqueName('resume');
    let store = openStore();
    let hub = new LogHub(store, { ratePerSecond: 10_000 }, silentLogger());
    let collector = new DockerLogCollector(docker, platform, hub, store, silentLogger());
    await collector.start();
    const first = waitForLines(hub, app, (seen) => seen.some((l) => l.text === 'before 3'));
    // Writes three lines, waits for a file the test creates once they are kept, then three more.
    const flag = `/tmp/go-${crypto.randomBytes(4).toString('hex')}`;
    const container = await run(app, `for i in 1 2 3; do echo "before $i"; done; while [ ! -e ${flag} ]; do sleep 0.05; done; for i in 1 2 3; do echo "after $i"; done`);
    await first.done;
    // The platform stops (collector and store closed), the process writes on meanwhile and exits.
    await collector.close();
    await store.close();
    const exec = await container.exec({ Cmd: ['touch', flag] });
    await exec.start({});
    await container.wait();

    store = openStore();
    hub = new LogHub(store, { ratePerSecond: 10_000 }, silentLogger());
    collector = new DockerLogCollector(docker, platform, hub, store, silentLogger());
    const second = waitForLines(hub, app, (seen) => seen.some((l) => l.text === 'after 3'));
    await collector.start();
    await second.done;
    const history = (await store.read(app, { lines: 100 })).filter((l) => l.source === 'app').map((l) => l.text);
    expect(history).to.deep.equal(['before 1', 'before 2', 'before 3', 'after 1', 'after 2', 'after 3']);
    await collector.close();
    await store.close();
  });
});
