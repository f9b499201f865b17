import { expect } from 'chai';
import { AppWork } from '../../../engine/app-work';
import { DeployService, releasePhaseStep, type PushedSource } from '../../../engine/deploy-service';
import type { DeployRequest } from '../../../engine/deployer';
import { parseAppJson } from '../../../engine/app-json';
import type { App, Build, FormationEntry, Release } from '../../../engine/model';
import type { ReleaseOptions, ReleaseService } from '../../../engine/release-service';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';

const APP: App = { id: 7, name: 'shop', config: {}, currentRelease: null, createdAt: new Date(0) };

function buildOf(appJson: string | null): Build {
  return {
    id: 'b1', appId: 7, status: 'succeeded', commit: 'c'.repeat(40), image: '127.0.0.1:5000/shop:b1', digest: null,
    processTypes: { web: 'npm start' }, log: '', durationMs: 1, appJson, createdAt: new Date(0),
  };
}

const RELEASE: Release = {
  id: 1, appId: 7, version: 1, buildId: 'b1', config: {}, description: 'Deploy ccccccc', status: 'succeeded',
  failureReason: null, createdAt: new Date(0),
};

/** Records each step the deploy service takes, in order. */
function rig(options: {
  app?: App; appJson?: string | null; release?: (options: ReleaseOptions) => Promise<Release>;
  formation?: FormationEntry[]; processTypes?: Record<string, string>; dropped?: string[];
} = {}) {
  const steps: string[] = [];
  const said: string[] = [];
  const app = options.app ?? APP;
  const work = new AppWork();
  const formation = options.formation ?? [{ type: 'web', quantity: 1, memoryMb: 512, cpu: 1 }];
  const apps = { get: async () => ({ ...app }), find: async () => ({ ...app }), formation: async () => formation } as unknown as AppsRepo;
  let released: ReleaseOptions | null = null;
  const releases = {
    releaseBuild: async (_app: App, _build: Build, _progress: unknown, opts: ReleaseOptions) => {
      steps.push('release');
      released = opts;
      return options.release ? options.release(opts) : RELEASE;
    },
  } as unknown as ReleaseService;
  const service = new DeployService(apps, releases, work, {
    setup: { beforeFirstBuild: async (_name, setup) => { steps.push(`setup env=${setup.env.map((v) => v.name).join(',')}`); return app; } },
    formation: {
      prepareFirstRelease: async (_app, _build, wanted) => {
        steps.push(`formation ${JSON.stringify(wanted)}`);
        return options.dropped ?? [];
      },
    },
    commands: { run: async (_app, _release, _build, command) => { steps.push(`run ${command}`); return 0; } },
    images: null,
  }, (name) => `http://${name}.slipway.localhost`, silentLogger());
  const reads: string[] = [];
  const source: PushedSource = {
    commit: 'c'.repeat(40),
    readFile: async (name) => { reads.push(name); return options.appJson ?? null; },
    build: async ({ appJson }) => { steps.push('build'); return { ...buildOf(appJson), processTypes: options.processTypes ?? { web: 'npm start' } }; },
  };
  return { service, source, steps, said, reads, work, released: () => released, say: (line: string) => said.push(line) };
}

describe('engine/deploy-service DeployService', () => {
  const appJson = JSON.stringify({
    env: { TOKEN: { generator: 'secret' } },
    formation: { web: { quantity: 2 } },
    scripts: { postdeploy: 'node seed.js' },
  });

  it('runs a first deploy as named steps, reading app.json from the source once and handing the parsed document on', async () => {
    const r = rig({ appJson });
    const release = await r.service.push('shop', r.source, r.say);
    expect(release.version).to.equal(1);
    expect(r.reads).to.deep.equal(['app.json']);
    expect(r.steps).to.deep.equal(['setup env=TOKEN', 'build', 'formation {"web":{"quantity":2}}', 'release', 'run node seed.js']);
    expect(r.released()!.appJson!.scripts).to.deep.equal({ postdeploy: 'node seed.js' });
    expect(r.said[0]).to.equal('-----> Building shop from ccccccc on the Slipway stack');
    expect(r.said.at(-1)).to.equal('       http://shop.slipway.localhost deployed to Slipway');
  });

  it('skips the first-deploy steps once the app has a release', async () => {
    const r = rig({ appJson, app: { ...APP, currentRelease: 3 } });
    await r.service.push('shop', r.source, r.say);
    expect(r.steps).to.deep.equal(['build', 'release']);
  });

  it('refuses an invalid app.json before anything is built or set up', async () => {
    const r = rig({ appJson: '{"healthchecks": {"web": [{"path": "no-slash"}]}}' });
    const error = await r.service.push('shop', r.source, r.say).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('build_failed');
    expect((error as Error).message).to.include('app.json: healthchecks.web[0].path must start with /');
    expect(r.steps).to.deep.equal([]);
  });

  it('refuses out-of-bounds health checks before saying or building anything, naming field, value and range', async () => {
    const r = rig({ appJson: '{"healthchecks": {"web": [{"path": "/nope", "attempts": 1000000}]}}' });
    const error = await r.service.push('shop', r.source, r.say).catch((e: unknown) => e);
    expect((error as SlipwayError).code).to.equal('build_failed');
    expect((error as Error).message).to.include('healthchecks.web[0].attempts is 1000000, out of range: it must be from 1 to 60');
    expect(r.said).to.deep.equal([]);
    expect(r.steps).to.deep.equal([]);
  });

  it('names the parts of app.json it ignores, after the build line', async () => {
    const r = rig({ app: { ...APP, currentRelease: 3 }, appJson: '{"addons": ["heroku-postgresql"], "scripts": {"test": "npm test"}}' });
    await r.service.push('shop', r.source, r.say);
    expect(r.said.slice(0, 3)).to.deep.equal([
      '-----> Building shop from ccccccc on the Slipway stack',
      ' !     app.json: addons is not supported by Slipway and is ignored',
      ' !     app.json: scripts.test is not run by Slipway and is ignored',
    ]);
  });

  it('says the warnings of the first release\'s formation step', async () => {
    const r = rig({ appJson, dropped: ['The formation had nosuchtype=1, but this build declares no such process type (it declares web): dropped it.'] });
    await r.service.push('shop', r.source, r.say);
    expect(r.said).to.include(' !     The formation had nosuchtype=1, but this build declares no such process type (it declares web): dropped it.');
    expect(r.said.indexOf('-----> Launching...')).to.be.greaterThan(r.said.findIndex((l) => l.includes('nosuchtype')));
  });

  it('runs Heroku\'s postdeploy on the first deploy only and Dokku\'s on every push, after the release', async () => {
    const scripts = JSON.stringify({ scripts: { postdeploy: 'node seed.js', dokku: { postdeploy: 'node warm.js' } } });
    const first = rig({ appJson: scripts });
    await first.service.push('shop', first.source, first.say);
    expect(first.steps.slice(-3)).to.deep.equal(['release', 'run node seed.js', 'run node warm.js']);
    const later = rig({ appJson: scripts, app: { ...APP, currentRelease: 3 } });
    await later.service.push('shop', later.source, later.say);
    expect(later.steps).to.deep.equal(['build', 'release', 'run node warm.js']);
  });

  it('ends an app without a web process by saying what runs and that no URL serves it', async () => {
    const r = rig({
      app: { ...APP, currentRelease: 3 }, processTypes: { worker: 'node worker.js' },
      formation: [{ type: 'worker', quantity: 1, memoryMb: 512, cpu: 1 }],
    });
    await r.service.push('shop', r.source, r.say);
    expect(r.said.slice(-2)).to.deep.equal([
      '       Deployed to Slipway: worker=1 running.',
      '       No URL serves shop: only a web process receives HTTP, and the Procfile declares none (add a "web:" line to serve http://shop.slipway.localhost).',
    ]);
  });

  it('lets a newer push cancel the deploy that waits to retry a failing check, and only that one', async () => {
    let waiting!: () => void;
    const ready = new Promise<void>((resolve) => { waiting = resolve; });
    const r = rig({
      app: { ...APP, currentRelease: 3 },
      release: async (opts) => {
        opts.onWaiting!();
        waiting();
        await new Promise<void>((resolve) => opts.signal!.addEventListener('abort', () => resolve(), { once: true }));
        throw opts.signal!.reason;
      },
    });
    const pushing = r.service.push('shop', r.source, r.say).catch((e: Error) => e.message);
    await ready;
    await r.service.supersede('shop');
    expect(await pushing).to.equal('Deploy cancelled: a newer push to shop arrived while this one waited on a failing health check.');
  });

  it('lets a deploy whose checks pass finish when a newer push arrives: the newer one queues', async () => {
    let arrived!: () => void;
    const newer = new Promise<void>((resolve) => { arrived = resolve; });
    const r = rig({ app: { ...APP, currentRelease: 3 }, release: async (opts) => { await newer; expect(opts.signal!.aborted).to.equal(false); return RELEASE; } });
    const pushing = r.service.push('shop', r.source, r.say);
    await r.service.supersede('shop');
    arrived();
    expect((await pushing).version).to.equal(1);
  });

  it('builds nothing for an app being destroyed', async () => {
    const r = rig({ app: { ...APP, currentRelease: 3 } });
    r.work.cancel(7, 'shop');
    const error = await r.service.push('shop', r.source, r.say).catch((e: Error) => e);
    expect((error as Error).message).to.equal('Deploy cancelled: shop is being destroyed.');
    expect(r.steps).to.deep.equal([]);
    expect(r.reads).to.deep.equal([]);
  });

  it('goes no further than the build when the app is destroyed meanwhile', async () => {
    const r = rig({ app: { ...APP, currentRelease: 3 } });
    r.source.build = async () => { r.work.cancel(7, 'shop'); return buildOf(null); };
    const error = await r.service.push('shop', r.source, r.say).catch((e: Error) => e);
    expect((error as Error).message).to.equal('Deploy cancelled: shop is being destroyed.');
    expect(r.steps).to.deep.equal([]);
  });
});

describe('engine/deploy-service releasePhaseStep', () => {
  function request(appJson: string | null, parsed?: string): DeployRequest {
    return {
      app: 'shop', release: RELEASE, build: buildOf(appJson), formation: [],
      ...(parsed === undefined ? {} : { appJson: parseAppJson(parsed) }),
    };
  }

  function commands(codes: Record<string, number> = {}) {
    const ran: string[] = [];
    return {
      ran,
      run: async (_app: string, _release: Release, _build: Build, command: string, output: (text: string) => void) => {
        ran.push(command);
        output(`${command} said hi\n`);
        return codes[command] ?? 0;
      },
      releasePhase: async () => { ran.push('release command'); },
    };
  }

  it('runs Dokku\'s predeploy, from the app.json the deploy parsed, before the Procfile release command', async () => {
    const c = commands();
    const progress: string[] = [];
    await releasePhaseStep(c)(request(null, '{"scripts": {"dokku": {"predeploy": "node prepare.js"}}}'), (l) => progress.push(l));
    expect(c.ran).to.deep.equal(['node prepare.js', 'release command']);
    expect(progress[0]).to.equal('Running Dokku predeploy script: node prepare.js');
    expect(progress).to.include('  node prepare.js said hi');
  });

  it('reads the build\'s stored app.json for a deploy that parsed none (config:set, rollback)', async () => {
    const c = commands();
    await releasePhaseStep(c)(request('{"scripts": {"dokku": {"predeploy": "node prepare.js"}}}'), () => undefined);
    expect(c.ran).to.deep.equal(['node prepare.js', 'release command']);
  });

  it('stops the deploy, before the release command, when the predeploy script fails', async () => {
    const c = commands({ 'node prepare.js': 3 });
    const error = await releasePhaseStep(c)(request(null, '{"scripts": {"dokku": {"predeploy": "node prepare.js"}}}'), () => undefined)
      .catch((e: unknown) => e);
    expect((error as SlipwayError).code).to.equal('deploy_failed');
    expect((error as Error).message).to.equal('the Dokku predeploy script (node prepare.js) exited with code 3, so v1 was not deployed');
    expect(c.ran).to.deep.equal(['node prepare.js']);
  });
});
