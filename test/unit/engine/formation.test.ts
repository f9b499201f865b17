import http from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import {
  Deployer, instanceSpecs, isFormationInstance, runnableTypes, type DeployerOptions, type DeployRequest,
} from '../../../engine/deployer';
import { MAX_QUANTITY, parseScaleArgs } from '../../../engine/formation-service';
import { DEFAULT_SIZE, type Build, type FormationEntry, type ProcessTypes, type Release } from '../../../engine/model';
import type { Instance } from '../../../engine/runtime-driver';
import { InProcessLocks } from '../../../engine/locks';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { freePort } from '../../support/slipway';
import { EventLog, FakeDriver, FakePublisher, FakeReleases, type FakeBehaviour } from './fake-driver';

const IMAGE = '127.0.0.1:5000/shop@sha256:' + 'd'.repeat(64);

function release(version: number, config: Record<string, string> = {}): Release {
  return {
    id: 100 + version, appId: 1, version, buildId: `b${version}`, config, description: 'Deploy 1a2b3c4',
    status: 'pending', failureReason: null, createdAt: new Date(0),
  };
}

function build(processTypes: ProcessTypes, appJson: unknown = null): Build {
  return {
    id: 'b2', appId: 1, status: 'succeeded', commit: '1a2b3c4d', image: IMAGE, digest: null, processTypes,
    log: '', durationMs: 1, appJson: appJson === null ? null : JSON.stringify(appJson), createdAt: new Date(0),
  };
}

const entry = (type: string, quantity: number, size: { memoryMb?: number; cpu?: number } = {}): FormationEntry => ({ type, quantity, ...DEFAULT_SIZE, ...size });

function scaleError(args: string[]): SlipwayError {
  try {
    parseScaleArgs(args);
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a SlipwayError');
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a rejection');
}

/** Lets callbacks queued with setImmediate (the deployer's afterFailure) run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('engine/formation-service parseScaleArgs', () => {
  it('reads TYPE=QUANTITY and TYPE:QUANTITY, in order', () => {
    expect(parseScaleArgs(['web=3', 'worker:0', ' clock=1 '])).to.deep.equal([
      { type: 'web', quantity: 3 }, { type: 'worker', quantity: 0 }, { type: 'clock', quantity: 1 },
    ]);
  });

  it('leaves the upper bound to scale (which refuses above MAX_QUANTITY)', () => {
    expect(parseScaleArgs([`web=${MAX_QUANTITY + 1}`])).to.deep.equal([{ type: 'web', quantity: MAX_QUANTITY + 1 }]);
  });

  it('says what to type when given nothing', () => {
    const error = scaleError([]);
    expect(error.code).to.equal('invalid_request');
    expect(error.message).to.equal('Say what to scale, like: slipway ps:scale my-app web=2 worker=1');
  });

  it('refuses an argument that is not TYPE=WHOLE_NUMBER, quoting it', () => {
    for (const arg of ['web', 'web=', '=1', 'web=-1', 'web=0.5', 'web=many', 'web.1=1', 'web = 1']) {
      const error = scaleError(['worker=1', arg]);
      expect(error.code, arg).to.equal('invalid_request');
      expect(error.message, arg).to.equal(`"${arg}" is not TYPE=QUANTITY, like web=2.`);
    }
  });
});

describe('engine/deployer formation helpers', () => {
  describe('isFormationInstance', () => {
    const of = (process: string) => ({ process } as Instance);

    it('counts web, workers and any other declared type', () => {
      for (const process of ['web', 'worker', 'clock', 'release-notes']) expect(isFormationInstance(of(process)), process).to.equal(true);
    });

    it('leaves out one-off `run` processes and the release phase', () => {
      expect(isFormationInstance(of('run'))).to.equal(false);
      expect(isFormationInstance(of('release'))).to.equal(false);
    });
  });

  describe('runnableTypes', () => {
    it('is the build\'s declared process types with their commands', () => {
      expect(runnableTypes(build({ web: 'npm start', worker: 'node worker.js' }))).to.deep.equal({ web: 'npm start', worker: 'node worker.js' });
    });

    it('never runs the release phase as a formation process', () => {
      expect(runnableTypes(build({ web: 'npm start', release: 'npm run migrate' }))).to.deep.equal({ web: 'npm start' });
    });

    it('runs web with the image\'s own command for a Dockerfile app without a Procfile', () => {
      expect(runnableTypes(build({}))).to.deep.equal({ web: null });
    });

    it('adds no web to an app that declares only other types', () => {
      expect(runnableTypes(build({ worker: 'node worker.js' }))).to.deep.equal({ worker: 'node worker.js' });
    });

    it('does not change the build', () => {
      const b = build({ web: 'npm start', release: 'x' });
      runnableTypes(b);
      expect(b.processTypes).to.deep.equal({ web: 'npm start', release: 'x' });
    });
  });

  describe('instanceSpecs sizes', () => {
    it('gives every instance its type\'s memory and CPU limits', () => {
      const request: DeployRequest = {
        app: 'shop', release: release(2), build: build({ web: 'npm start', worker: 'node w.js' }),
        formation: [entry('web', 2, { memoryMb: 1024, cpu: 1 }), entry('worker', 1, { memoryMb: 256, cpu: 0.25 })],
      };
      expect(instanceSpecs(request, 5000).map((s) => [s.env.DYNO, s.memoryMb, s.cpu])).to.deep.equal([
        ['web.1', 1024, 1], ['web.2', 1024, 1], ['worker.1', 256, 0.25],
      ]);
    });

    it('never starts the release phase, even when the formation lists it', () => {
      const request: DeployRequest = { app: 'shop', release: release(2), build: build({ web: 'a', release: 'b' }), formation: [entry('release', 1), entry('web', 1)] };
      expect(instanceSpecs(request, 5000).map((s) => s.process)).to.deep.equal(['web']);
    });
  });
});

describe('engine/deployer Deployer', () => {
  let server: http.Server;
  let base: string;
  /** How the test app answers: instance id and path (after the id) → status and body. */
  let answer: (id: string, path: string) => { status: number; body: string };
  let events: EventLog;
  /**
   * Instance URLs carry the test's number, so that a probe still in flight when a test ends (the
   * healthy half of a failed batch) is logged to that test's events, not to the next test's.
   */
  let testNumber = 0;
  const logs = new Map<string, EventLog>();
  const instanceUrl = (id: string): string => `${base}/${testNumber}/${id}`;

  before(async () => {
    server = http.createServer((req, res) => {
      const [, test = '', id = '', ...rest] = (req.url ?? '/').split('/');
      const path = rest.length > 0 ? `/${rest.join('/')}` : '';
      logs.get(test)?.push(`probe ${id}${path}`);
      const { status, body } = answer(id, path);
      res.statusCode = status;
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    testNumber += 1;
    events = new EventLog();
    logs.set(String(testNumber), events);
    answer = () => ({ status: 200, body: 'ok' });
  });

  interface Rig {
    deployer: Deployer;
    driver: FakeDriver;
    publisher: FakePublisher;
    releases: FakeReleases;
    afterFailure: string[];
    progress: string[];
    /** Old instances of v1 (web ones published), as a previous deploy left them. */
    seed(process: string, count: number, size?: { memoryMb: number; cpu: number }): Instance[];
    deploy(formation: FormationEntry[], appJson?: unknown): Promise<void>;
  }

  /** Healthy by default: each new web instance answers HTTP on instanceUrl(id). */
  function rig(options: Partial<DeployerOptions> = {}, behave: (process: string, id: string) => FakeBehaviour = () => ({})): Rig {
    const driver = new FakeDriver(events, (spec, id) => ({ url: spec.process === 'web' ? instanceUrl(id) : null, ...behave(spec.process, id) }));
    const publisher = new FakePublisher(events);
    const releases = new FakeReleases(events);
    const afterFailure: string[] = [];
    const progress: string[] = [];
    const locks = new InProcessLocks();
    const deployer = new Deployer(driver, publisher, releases.asRepo(), locks, {
      bootTimeoutMs: 2000, stopGraceSeconds: 7, containerPort: 5000, logLines: 2, surge: 1, maxUnavailable: 0, drainMs: 5,
      capacity: { reservedMemoryMb: 1024, cpuOvercommit: 4 }, ...options,
    }, silentLogger(), (app) => afterFailure.push(app));
    return {
      deployer, driver, publisher, releases, afterFailure, progress,
      seed(process, count, size = DEFAULT_SIZE) {
        return Array.from({ length: count }, (_, n) => {
          const id = `old-${process}.${n + 1}`;
          const url = process === 'web' ? instanceUrl(id) : null;
          if (url) publisher.seed('shop', id, { url, release: 1, process: 'web' });
          return driver.seed({ id, process, release: 1, url, ...size });
        });
      },
      async deploy(formation, appJson = null) {
        await deployer.deploy(
          { app: 'shop', release: release(2), build: build({ web: 'npm start', worker: 'node worker.js' }, appJson), formation },
          (line) => progress.push(line),
        );
        // Old instances are stopped behind the answer, under the app's lock: the next operation waits for them.
        (await locks.acquire('shop', 'deploy'))();
      },
    };
  }

  /** Replays the event log: most instances running at once, fewest web backends published at once. */
  function extremes(initialRunning: number, initialPublished: number): { maxRunning: number; minPublished: number } {
    let running = initialRunning;
    let published = initialPublished;
    let maxRunning = running;
    let minPublished = published;
    for (const what of events.list()) {
      if (what.startsWith('start ')) running += 1;
      else if (what.startsWith('stop ')) running -= 1;
      else if (what.startsWith('publish ')) published += 1;
      else if (what.startsWith('withdraw ')) published -= 1;
      maxRunning = Math.max(maxRunning, running);
      minPublished = Math.min(minPublished, published);
    }
    return { maxRunning, minPublished };
  }

  describe('a successful rollout', () => {
    it('publishes the new web instance once it answers, withdraws the old one and commits the release; the old one drains and stops behind', async () => {
      const r = rig({ drainMs: 40 });
      r.seed('web', 1);
      await r.deploy([entry('web', 1)]);
      expect(events.list()).to.deep.equal([
        'start web.v2.1',
        'probe web.v2.1',
        'publish web.v2.1',
        'withdraw old-web.1',
        'succeeded v2',
        'stop old-web.1',
      ]);
      expect(events.at('stop old-web.1') - events.at('withdraw old-web.1')).to.be.at.least(39);
      expect(r.progress).to.deep.equal(['Starting 1 web of v2']);
    });

    it('moves the deploy timeline\'s phases as it goes: start, checks, routed, then the old instance drained behind', async () => {
      const r = rig({ drainMs: 5 });
      r.seed('web', 1);
      const moved: string[] = [];
      const phases = {
        start: (name: string) => moved.push(`start ${name}`), ok: (name: string) => moved.push(`ok ${name}`),
        skip: (name: string) => moved.push(`skip ${name}`), fail: (name: string) => moved.push(`fail ${name}`),
        note: () => {}, attachBuild: () => {}, attachRelease: () => {},
      };
      await r.deployer.deploy({ app: 'shop', release: release(2), build: build({ web: 'npm start' }), formation: [entry('web', 1)], phases }, () => undefined);
      (await r.deployer['locks'].acquire('shop', 'deploy'))(); // the old instance stops behind the answer, under the lock
      expect(moved).to.deep.equal(['skip release-phase', 'start start', 'ok start', 'start checks', 'ok checks', 'start routed',
        'start drained', 'start routed', 'ok routed', 'ok drained']);
    });

    it('publishes the new instance\'s URL with its release and process type, and leaves only it routed and running', async () => {
      const r = rig();
      r.seed('web', 1);
      await r.deploy([entry('web', 1)]);
      expect([...r.publisher.backends.get('shop')!.entries()]).to.deep.equal([
        ['web.v2.1', { url: instanceUrl('web.v2.1'), release: 2, process: 'web' }],
      ]);
      expect([...r.driver.instances.keys()]).to.deep.equal(['web.v2.1']);
      expect(r.releases.succeeded).to.deep.equal([2]);
      expect(r.releases.failed).to.deep.equal([]);
    });

    it('starts instances from the release: its image, config, size and $PORT', async () => {
      const r = rig();
      await r.deployer.deploy({
        app: 'shop', release: release(2, { GREETING: 'hi' }), build: build({ web: 'npm start' }), formation: [entry('web', 1, { memoryMb: 1024, cpu: 2 })],
      }, () => undefined);
      expect(r.driver.starts).to.deep.equal([{
        app: 'shop', release: 2, process: 'web', image: IMAGE, command: 'npm start',
        env: { GREETING: 'hi', SLIPWAY_RELEASE: 'v2', DYNO: 'web.1' }, port: 5000, memoryMb: 1024, cpu: 2,
      }]);
    });

    it('stops old instances with the configured grace period', async () => {
      const r = rig({ stopGraceSeconds: 7 });
      r.seed('web', 1);
      await r.deploy([entry('web', 1)]);
      expect(r.driver.stops).to.deep.equal([{ id: 'old-web.1', graceSeconds: 7 }]);
    });

    it('rolls web first, then starts the other types, commits, and only then stops the old ones', async () => {
      const r = rig({ drainMs: 40 });
      r.seed('web', 1);
      r.seed('worker', 1);
      await r.deploy([entry('web', 1), entry('worker', 1)]);
      const list = events.list();
      expect(list.slice(0, 7)).to.deep.equal([
        'start web.v2.1',
        'probe web.v2.1',
        'publish web.v2.1',
        'withdraw old-web.1',
        'start worker.v2.1',
        'succeeded v2',
        'withdraw old-worker.1',
      ]);
      // Both stop behind the answer; the web one after its drain, the worker (no traffic) at once.
      expect(list.slice(7).sort()).to.deep.equal(['stop old-web.1', 'stop old-worker.1']);
      expect(r.progress).to.deep.equal(['Starting 1 web of v2', 'Starting 1 worker of v2']);
    });

    it('runs the app.json startup checks of web before publishing it', async () => {
      answer = (_id, path) => ({ status: 200, body: path === '/health' ? '{"status":"ok"}' : 'hello' });
      const r = rig();
      r.seed('web', 1);
      await r.deploy([entry('web', 1)], { healthchecks: { web: [{ path: '/health', content: '"status":"ok"', attempts: 1 }] } });
      expect(events.list().slice(0, 4)).to.deep.equal(['start web.v2.1', 'probe web.v2.1', 'probe web.v2.1/health', 'publish web.v2.1']);
      expect(r.releases.succeeded).to.deep.equal([2]);
    });

    it('stops the old web instances a formation no longer has', async () => {
      const r = rig();
      r.seed('web', 3);
      await r.deploy([entry('web', 1)]);
      expect([...r.driver.instances.keys()]).to.deep.equal(['web.v2.1']);
      expect(r.publisher.published('shop')).to.deep.equal(['web.v2.1']);
      // The one replacement is routed before any old instance leaves.
      expect(events.indexOf('publish web.v2.1')).to.be.lessThan(Math.min(...[1, 2, 3].map((n) => events.indexOf(`withdraw old-web.${n}`))));
    });
  });

  describe('a failing rollout', () => {
    it('stops what it started, publishes nothing, marks the release failed with the reason and leaves the old instance serving', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const r = rig({ bootTimeoutMs: 100 }, (process) => (process === 'web' ? { url: closed, logs: 'booting\nError: listen EADDRINUSE :::3000\n    at server.js:3\n' } : {}));
      const [old] = r.seed('web', 1);
      const error = await rejection(r.deploy([entry('web', 1)]));
      expect(error.code).to.equal('deploy_failed');
      expect(error.message).to.match(/^web process did not bind \$PORT within \d+s\nLast lines of its log:\nError: listen EADDRINUSE :::3000\n {4}at server\.js:3$/);
      expect(events.list()).to.deep.equal(['start web.v2.1', 'withdraw web.v2.1', 'stop web.v2.1', 'failed v2']);
      expect(r.driver.stops).to.deep.equal([{ id: 'web.v2.1', graceSeconds: 0 }]);
      expect(r.releases.failed).to.deep.equal([{ version: 2, reason: error.message }]);
      expect(r.releases.succeeded).to.deep.equal([]);
      expect([...r.driver.instances.values()]).to.deep.equal([old]);
      expect(r.publisher.published('shop')).to.deep.equal(['old-web.1']);
      await nextTurn();
      expect(r.afterFailure).to.deep.equal([]);
    });

    it('says the process exited while starting when it crashed, and that it wrote nothing', async () => {
      const r = rig({}, (process) => (process === 'web' ? { url: `http://127.0.0.1:1`, state: 'crashed' } : {}));
      r.seed('web', 1);
      const error = await rejection(r.deploy([entry('web', 1)]));
      expect(error.message).to.equal('web process exited while starting\nIt wrote nothing to its log.');
      expect(r.releases.failed.map((f) => f.reason)).to.deep.equal([error.message]);
    });

    it('counts a restart while starting as a crash', async () => {
      const r = rig({}, (process) => (process === 'worker' ? { restartCount: 1, logs: 'Error: Cannot find module \'./worker\'' } : {}));
      const error = await rejection(r.deploy([entry('worker', 1)]));
      expect(error.message).to.equal('worker process exited while starting\nLast lines of its log:\nError: Cannot find module \'./worker\'');
    });

    it('says the process disappeared when the runtime lost it', async () => {
      const r = rig({}, (process) => (process === 'worker' ? { vanishes: true } : {}));
      const error = await rejection(r.deploy([entry('worker', 1)]));
      expect(error.message).to.equal('worker process disappeared while starting\nIt wrote nothing to its log.');
    });

    it('fails on an app.json check, naming it, and publishes nothing', async () => {
      answer = (_id, path) => ({ status: 200, body: path === '/health' ? 'starting' : 'hello' });
      const r = rig();
      r.seed('web', 1);
      const error = await rejection(r.deploy([entry('web', 1)], { healthchecks: { web: [{ name: 'db ready', path: '/health', content: 'ok', attempts: 2, wait: 0.01 }] } }));
      expect(error.message).to.equal('db ready failed: GET /health answer does not contain "ok" after 2 attempt(s)\nIt wrote nothing to its log.');
      expect(events.list().filter((e) => e.startsWith('publish'))).to.deep.equal([]);
      expect(r.publisher.published('shop')).to.deep.equal(['old-web.1']);
      expect(r.releases.failed).to.have.length(1);
    });

    it('gives all of an instance\'s checks SLIPWAY_BOOT_TIMEOUT in total, however long they would retry, and says how to raise it', async () => {
      answer = (_id, path) => ({ status: path === '/nope' ? 404 : 200, body: 'hello' });
      const r = rig({ bootTimeoutMs: 300 });
      r.seed('web', 1);
      const error = await rejection(r.deploy([entry('web', 1)], {
        healthchecks: { web: [{ type: 'startup', path: '/nope', content: 'x', attempts: 3, wait: 30, timeout: 1 }] },
      }));
      expect(error.code).to.equal('deploy_failed');
      expect(error.message).to.match(/^startup check \/nope: the checks did not pass within 0.3 s, the limit for all of an instance's checks; raise SLIPWAY_BOOT_TIMEOUT/);
      expect(r.publisher.published('shop')).to.deep.equal(['old-web.1']);
      expect(r.releases.failed.map((f) => f.version)).to.deep.equal([2]);
    });

    it('ends at once when cancelled while a check waits to retry, removing what it started and saying why', async () => {
      answer = (_id, path) => ({ status: path === '/nope' ? 404 : 200, body: 'hello' });
      const r = rig({ bootTimeoutMs: 600_000 });
      r.seed('web', 1);
      const cancel = new AbortController();
      const appJson = { healthchecks: { web: [{ type: 'startup', path: '/nope', attempts: 3, wait: 60, timeout: 1 }] } };
      const error = await rejection(r.deployer.deploy({
        app: 'shop', release: release(2), build: build({ web: 'npm start' }, appJson), formation: [entry('web', 1)],
        signal: cancel.signal,
        onWaiting: () => cancel.abort(new SlipwayError('deploy_failed', 'Deploy cancelled: shop is being destroyed.')),
      }, () => undefined));
      expect(error.message).to.equal('Deploy cancelled: shop is being destroyed.');
      expect(events.list()).to.include.members(['withdraw web.v2.1', 'stop web.v2.1', 'failed v2']);
      expect([...r.driver.instances.keys()]).to.deep.equal(['old-web.1']);
      expect(r.releases.failed).to.deep.equal([{ version: 2, reason: 'Deploy cancelled: shop is being destroyed.' }]);
    });

    it('starts nothing when it was cancelled before its turn', async () => {
      const r = rig();
      const cancel = new AbortController();
      cancel.abort(new SlipwayError('deploy_failed', 'Deploy cancelled: shop is being destroyed.'));
      const error = await rejection(r.deployer.deploy({
        app: 'shop', release: release(2), build: build({ web: 'npm start' }), formation: [entry('web', 1)], signal: cancel.signal,
      }, () => undefined));
      expect(error.message).to.equal('Deploy cancelled: shop is being destroyed.');
      expect(events.list()).to.deep.equal(['failed v2']);
    });

    it('withdraws already routed new instances when a later type fails, and asks the reconciler to restore the old ones', async () => {
      const r = rig({}, (process) => (process === 'worker' ? { state: 'exited' } : {}));
      r.seed('web', 1);
      const [oldWorker] = r.seed('worker', 1);
      const error = await rejection(r.deploy([entry('web', 1), entry('worker', 1)]));
      expect(error.message).to.equal('worker process exited while starting\nIt wrote nothing to its log.');
      expect(events.list()).to.deep.equal([
        'start web.v2.1', 'probe web.v2.1', 'publish web.v2.1', 'withdraw old-web.1',
        'start worker.v2.1', 'withdraw web.v2.1', 'withdraw worker.v2.1', 'stop web.v2.1', 'stop worker.v2.1',
        // The old web instance, withdrawn for good, has finished stopping before the failure is recorded.
        'stop old-web.1', 'failed v2',
      ]);
      expect([...r.driver.instances.values()]).to.deep.equal([oldWorker]);
      await nextTurn();
      expect(r.afterFailure).to.deep.equal(['shop']);
    });

    it('stops every instance of a failed batch, the healthy ones too', async () => {
      const r = rig({ surge: 2 }, (_process, id) => (id === 'web.v2.2' ? { state: 'crashed', url: 'http://127.0.0.1:1' } : {}));
      r.seed('web', 2);
      await rejection(r.deploy([entry('web', 2)]));
      expect(r.driver.stops.map((s) => s.id).sort()).to.deep.equal(['web.v2.1', 'web.v2.2']);
      expect(r.publisher.published('shop')).to.deep.equal(['old-web.1', 'old-web.2']);
      expect([...r.driver.instances.keys()].sort()).to.deep.equal(['old-web.1', 'old-web.2']);
    });
  });

  describe('batches of 4 web instances', () => {
    it('with surge 2 and no unavailability: two batches of 2, never fewer than 4 routed, never more than 6 running', async () => {
      const r = rig({ surge: 2, maxUnavailable: 0 });
      r.seed('web', 4);
      await r.deploy([entry('web', 4)]);
      expect(r.progress).to.deep.equal(['Starting 2 web of v2', 'Starting 2 web of v2']);
      expect(extremes(4, 4)).to.deep.equal({ maxRunning: 6, minPublished: 4 });
      // The second batch starts only once the first one replaced two old instances.
      expect(events.indexOf('start web.v2.3')).to.be.greaterThan(events.indexOf('stop old-web.2'));
      expect(r.publisher.published('shop')).to.deep.equal(['web.v2.1', 'web.v2.2', 'web.v2.3', 'web.v2.4']);
      expect([...r.driver.instances.keys()].sort()).to.deep.equal(['web.v2.1', 'web.v2.2', 'web.v2.3', 'web.v2.4']);
      expect(r.releases.succeeded).to.deep.equal([2]);
    });

    it('with surge 1 and one unavailable: stops an old instance before its replacement starts, keeping 3 routed', async () => {
      const r = rig({ surge: 1, maxUnavailable: 1 });
      r.seed('web', 4);
      await r.deploy([entry('web', 4)]);
      expect(r.progress).to.have.length(4);
      expect(events.indexOf('stop old-web.1')).to.be.lessThan(events.indexOf('start web.v2.1'));
      expect(extremes(4, 4)).to.deep.equal({ maxRunning: 4, minPublished: 3 });
      expect(r.publisher.published('shop')).to.deep.equal(['web.v2.1', 'web.v2.2', 'web.v2.3', 'web.v2.4']);
    });

    it('with surge 2 and one unavailable: never fewer than 3 routed, never more than 6 running', async () => {
      const r = rig({ surge: 2, maxUnavailable: 1 });
      r.seed('web', 4);
      await r.deploy([entry('web', 4)]);
      expect(r.progress).to.deep.equal(['Starting 2 web of v2', 'Starting 2 web of v2']);
      const { maxRunning, minPublished } = extremes(4, 4);
      expect(minPublished).to.be.at.least(3);
      expect(maxRunning).to.be.at.most(6);
      expect(r.publisher.published('shop')).to.deep.equal(['web.v2.1', 'web.v2.2', 'web.v2.3', 'web.v2.4']);
      expect([...r.driver.instances.keys()].sort()).to.deep.equal(['web.v2.1', 'web.v2.2', 'web.v2.3', 'web.v2.4']);
    });

    it('treats a surge below 1 as 1', async () => {
      const r = rig({ surge: 0 });
      r.seed('web', 2);
      await r.deploy([entry('web', 2)]);
      expect(r.progress).to.deep.equal(['Starting 1 web of v2', 'Starting 1 web of v2']);
      expect(extremes(2, 2)).to.deep.equal({ maxRunning: 3, minPublished: 2 });
    });

    it('keeps the old instances of the first batches when a later batch fails, routed ones withdrawn', async () => {
      const r = rig({ surge: 2 }, (_process, id) => (id === 'web.v2.3' ? { state: 'crashed', url: 'http://127.0.0.1:1' } : {}));
      r.seed('web', 4);
      await rejection(r.deploy([entry('web', 4)]));
      // The first batch had replaced old-web.1 and old-web.2; the rest still serve, and the reconciler is called.
      expect([...r.driver.instances.keys()].sort()).to.deep.equal(['old-web.3', 'old-web.4']);
      expect(r.publisher.published('shop')).to.deep.equal(['old-web.3', 'old-web.4']);
      await nextTurn();
      expect(r.afterFailure).to.deep.equal(['shop']);
    });
  });

  describe('capacity', () => {
    it('refuses a deploy the host cannot hold before anything starts, stops or changes routes', async () => {
      const r = rig();
      r.driver.host = { memoryMb: 1024 + 4 * 512 + 256, cpus: 8 };
      r.seed('web', 4);
      const error = await rejection(r.deploy([entry('web', 4)]));
      expect(error.code).to.equal('insufficient_capacity');
      expect(error.message).to.equal(
        'Insufficient capacity on this host for v2 (web=4): memory: needs 512 MB, 256 MB left of 3328 MB. Scale something down or lower the size with ps:resize.',
      );
      expect(events.list()).to.deep.equal([]);
      expect(r.driver.instances.size).to.equal(4);
    });

    it('needs room only for the surge of web plus the other types, not for a second copy of everything', async () => {
      const r = rig({ surge: 1 });
      // 4 old web + 1 old worker run; room is left for 1 new web and 1 new worker, exactly.
      r.driver.host = { memoryMb: 1024 + 5 * 512 + 512 + 256, cpus: 1 };
      r.seed('web', 4);
      r.seed('worker', 1);
      await r.deploy([entry('web', 4), entry('worker', 1, { memoryMb: 256 })]);
      expect(r.releases.succeeded).to.deep.equal([2]);
    });

    it('does not count exited instances as using the host', async () => {
      const r = rig();
      r.driver.host = { memoryMb: 1024 + 512, cpus: 1 };
      r.driver.seed({ id: 'dead', process: 'web', release: 1, state: 'exited', memoryMb: 4096, cpu: 4 });
      await r.deploy([entry('web', 1)]);
      expect(r.releases.succeeded).to.deep.equal([2]);
    });

    it('counts other apps\' instances', async () => {
      const r = rig();
      r.driver.host = { memoryMb: 1024 + 512, cpus: 1 };
      r.driver.seed({ id: 'blog-web.1', app: 'blog', process: 'web', release: 9, memoryMb: 512, cpu: 0.5 });
      const error = await rejection(r.deploy([entry('web', 1)]));
      expect(error.message).to.match(/^Insufficient capacity on this host for v2 \(web=1\): memory: needs 512 MB, 0 MB left of 1536 MB\./);
    });

    it('checkCapacity leaves out the instances a change will stop', async () => {
      const r = rig();
      r.driver.host = { memoryMb: 1024 + 1024, cpus: 1 };
      const old = r.seed('web', 2);
      await rejection(r.deployer.checkCapacity({ memoryMb: 1024, cpu: 1 }, 'web resized'));
      await r.deployer.checkCapacity({ memoryMb: 1024, cpu: 1 }, 'web resized', old);
    });
  });

  describe('restart, retire and teardown', () => {
    it('restart replaces the instances of one type with the same release, without touching others or the release', async () => {
      const r = rig();
      const [oldWeb] = r.seed('web', 1);
      r.seed('worker', 1);
      await r.deployer.restart(
        { app: 'shop', release: { ...release(1), status: 'succeeded' }, build: build({ web: 'npm start', worker: 'node worker.js' }), formation: [entry('web', 1), entry('worker', 1)] },
        () => undefined, 'worker',
      );
      expect(events.list()).to.deep.equal(['start worker.v1.1', 'withdraw old-worker.1', 'stop old-worker.1']);
      expect(r.driver.instances.get('old-web.1')).to.deep.equal(oldWeb);
      expect(r.releases.succeeded).to.deep.equal([]);
      expect(r.releases.failed).to.deep.equal([]);
    });

    it('a failed restart leaves the release as it was', async () => {
      const r = rig({}, () => ({ state: 'crashed' }));
      r.seed('worker', 1);
      const error = await rejection(r.deployer.restart(
        { app: 'shop', release: release(1), build: build({ worker: 'node worker.js' }), formation: [entry('worker', 1)] }, () => undefined,
      ));
      expect(error.code).to.equal('deploy_failed');
      expect(r.releases.failed).to.deep.equal([]);
      expect([...r.driver.instances.keys()]).to.deep.equal(['old-worker.1']);
    });

    it('retire withdraws every instance before stopping any', async () => {
      const r = rig();
      const old = r.seed('web', 2);
      await r.deployer.retire('shop', old);
      expect(events.list().slice(0, 2).sort()).to.deep.equal(['withdraw old-web.1', 'withdraw old-web.2']);
      expect(events.list().slice(2).sort()).to.deep.equal(['stop old-web.1', 'stop old-web.2']);
    });

    it('teardown removes the app\'s routes and every instance of it, one-offs included, and nothing of other apps', async () => {
      const r = rig();
      r.seed('web', 1);
      r.driver.seed({ id: 'run.1', process: 'run', release: 1 });
      r.driver.seed({ id: 'blog-web.1', app: 'blog', process: 'web', release: 3 });
      await r.deployer.teardown('shop');
      expect(r.publisher.removedApps).to.deep.equal(['shop']);
      expect(events.list()[0]).to.equal('remove-app shop');
      expect([...r.driver.instances.keys()]).to.deep.equal(['blog-web.1']);
    });
  });
});
