import { expect } from 'chai';
import { AppWork } from '../../../engine/app-work';
import { DeployService, type PushedSource } from '../../../engine/deploy-service';
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
