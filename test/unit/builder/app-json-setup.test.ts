import { expect } from 'chai';
import { AppSetupService, firstDeployConfig, missingVarsMessage, parseAppJsonSetup } from '../../../engine/app-setup';
import type { App, ConfigVars } from '../../../engine/model';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';

describe('engine/app-setup: app.json env and buildpacks on the first deploy', () => {
  describe('parseAppJsonSetup', () => {
    it('reads env entries in both forms, with Heroku\'s defaults (required unless said otherwise)', () => {
      const setup = parseAppJsonSetup(JSON.stringify({
        env: {
          SECRET_TOKEN: { description: 'A secret key for verifying the integrity of signed cookies.', generator: 'secret' },
          WEB_CONCURRENCY: { description: 'The number of processes to run.', value: '5' },
          DATABASE_URL: { required: true },
          OPTIONAL: { required: false },
          SHORT: 'just a value',
        },
      }));
      expect(setup.env).to.deep.equal([
        { name: 'SECRET_TOKEN', description: 'A secret key for verifying the integrity of signed cookies.', required: true, value: null, generator: 'secret' },
        { name: 'WEB_CONCURRENCY', description: 'The number of processes to run.', required: true, value: '5', generator: null },
        { name: 'DATABASE_URL', description: null, required: true, value: null, generator: null },
        { name: 'OPTIONAL', description: null, required: false, value: null, generator: null },
        { name: 'SHORT', description: null, required: true, value: 'just a value', generator: null },
      ]);
      expect(setup.buildpacks).to.deep.equal([]);
    });

    it('reads buildpacks as [{"url": …}] (or plain strings), checked like buildpacks:set', () => {
      expect(parseAppJsonSetup('{"buildpacks": [{"url": "heroku/nodejs"}, "https://git.example.com/bp.git#v2"]}').buildpacks)
        .to.deep.equal(['heroku/nodejs', 'https://git.example.com/bp.git#v2']);
      expect(() => parseAppJsonSetup('{"buildpacks": [{"url": "ftp://x/y"}]}')).to.throw(SlipwayError, 'app.json: buildpacks[0]: "ftp://x/y" is not a buildpack');
      expect(() => parseAppJsonSetup('{"buildpacks": {"url": "nodejs"}}')).to.throw(SlipwayError, 'buildpacks must be a list');
      expect(() => parseAppJsonSetup('{"buildpacks": [{"name": "nodejs"}]}')).to.throw(SlipwayError, 'buildpacks[0] must be {"url": "…"}');
    });

    it('has nothing to set up without app.json or without env and buildpacks', () => {
      expect(parseAppJsonSetup(null)).to.deep.equal({ env: [], buildpacks: [] });
      expect(parseAppJsonSetup('  ')).to.deep.equal({ env: [], buildpacks: [] });
      expect(parseAppJsonSetup('{"formation": {"web": {"quantity": 2}}}')).to.deep.equal({ env: [], buildpacks: [] });
    });

    it('refuses malformed env entries, failing the build with the reason', () => {
      expect(() => parseAppJsonSetup('{"env": []}')).to.throw(SlipwayError, 'env must be an object');
      expect(() => parseAppJsonSetup('{"env": {"1BAD": "x"}}')).to.throw(SlipwayError, '"1BAD" is not a config var name');
      expect(() => parseAppJsonSetup('{"env": {"A": {"required": "yes"}}}')).to.throw(SlipwayError, 'env.A.required must be true or false');
      expect(() => parseAppJsonSetup('{"env": {"A": {"value": 5}}}')).to.throw(SlipwayError, 'env.A.value must be a string');
      expect(() => parseAppJsonSetup('{"env": {"A": {"generator": "uuid"}}}')).to.throw(SlipwayError, 'env.A.generator must be "secret"');
      expect(() => parseAppJsonSetup('{"env": {"A": 3}}')).to.throw(SlipwayError, 'env.A must be a string or an object');
      expect(() => parseAppJsonSetup('{nope')).to.throw(SlipwayError, 'app.json: not valid JSON');
    });
  });

  describe('firstDeployConfig', () => {
    const env = parseAppJsonSetup(JSON.stringify({
      env: {
        DATABASE_URL: { description: 'the database' },
        API_KEY: {},
        SECRET_KEY_BASE: { generator: 'secret' },
        WEB_CONCURRENCY: { value: '2' },
        OPTIONAL: { required: false },
      },
    })).env;
    let n = 0;
    const secret = (): string => `secret-${(n += 1)}`;

    it('lists the required vars that have no value anywhere', () => {
      const plan = firstDeployConfig(env, {}, secret);
      expect(plan.missing.map((v) => v.name)).to.deep.equal(['DATABASE_URL', 'API_KEY']);
      expect(missingVarsMessage('shop', plan.missing)).to.equal(
        'app.json requires config vars that shop does not have: DATABASE_URL (the database), API_KEY. '
        + 'Set them before the first deploy: slipway config:set shop DATABASE_URL=… API_KEY=…');
    });

    it('adds defaults and generated secrets for vars not set, and never touches those that are', () => {
      const config: ConfigVars = { DATABASE_URL: 'postgres://db', API_KEY: 'k', SECRET_KEY_BASE: 'mine' };
      expect(firstDeployConfig(env, config, secret)).to.deep.equal({ missing: [], additions: { WEB_CONCURRENCY: '2' } });
      const fresh = firstDeployConfig(env, { DATABASE_URL: 'x', API_KEY: 'y', WEB_CONCURRENCY: '8' }, () => 'generated');
      expect(fresh).to.deep.equal({ missing: [], additions: { SECRET_KEY_BASE: 'generated' } });
    });

    it('generates 64 hex characters by default', () => {
      const plan = firstDeployConfig(parseAppJsonSetup('{"env": {"S": {"generator": "secret"}}}').env, {});
      expect(plan.additions.S).to.match(/^[0-9a-f]{64}$/);
      expect(firstDeployConfig(parseAppJsonSetup('{"env": {"S": {"generator": "secret"}}}').env, {}).additions.S).to.not.equal(plan.additions.S);
    });
  });

  describe('AppSetupService.beforeFirstBuild', () => {
    function fakes(app: App, buildpacks: string[] = [], builtBefore = false) {
      const state = { app: { ...app }, buildpacks: [...buildpacks], said: [] as string[] };
      const apps = {
        get: async () => ({ ...state.app }),
        setConfig: async (_id: number, config: ConfigVars) => { state.app.config = config; },
      } as unknown as AppsRepo;
      const store = {
        list: async () => [...state.buildpacks],
        replace: async (_id: number, list: readonly string[]) => { state.buildpacks = [...list]; },
      };
      const service = new AppSetupService(apps, store, (_name, task) => task(), silentLogger(), async () => builtBefore);
      return { state, service, say: (line: string) => state.said.push(line) };
    }
    const app: App = { id: 1, name: 'shop', config: {}, currentRelease: null, createdAt: new Date() };
    const appJson = JSON.stringify({
      env: { NEEDED: { description: 'needed' }, TOKEN: { generator: 'secret' }, MODE: { value: 'fast' } },
      buildpacks: [{ url: 'nodejs' }],
    });

    it('refuses the first deploy naming the missing vars, changing nothing', async () => {
      const { state, service, say } = fakes(app);
      const error = await service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), say).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SlipwayError);
      expect((error as Error).message).to.include('shop does not have: NEEDED (needed)');
      expect(state.app.config).to.deep.equal({});
      expect(state.buildpacks).to.deep.equal([]);
    });

    it('stores defaults, a generated secret and app.json\'s buildpacks, saying so without values', async () => {
      const { state, service, say } = fakes({ ...app, config: { NEEDED: 'yes' } });
      const result = await service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), say);
      expect(result.config).to.include({ NEEDED: 'yes', MODE: 'fast' });
      expect(result.config.TOKEN).to.match(/^[0-9a-f]{64}$/);
      expect(state.buildpacks).to.deep.equal(['nodejs']);
      expect(state.said).to.deep.equal([
        'app.json: set MODE to the default it gives',
        'app.json: generated a secret for TOKEN',
        'app.json: buildpacks set to nodejs',
      ]);
      expect(state.said.join('\n')).to.not.include(result.config.TOKEN!);
    });

    it('keeps buildpacks already set on the app, and does nothing once the app has a release', async () => {
      const withBuildpacks = fakes({ ...app, config: { NEEDED: 'yes' } }, ['python']);
      await withBuildpacks.service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), withBuildpacks.say);
      expect(withBuildpacks.state.buildpacks).to.deep.equal(['python']);

      expect(withBuildpacks.state.said).to.deep.equal([
        'app.json: set MODE to the default it gives',
        'app.json: generated a secret for TOKEN',
        "app.json: buildpacks nodejs not applied: the app's own buildpacks (python) win; change them with slipway buildpacks:set",
      ]);

      const deployed = fakes({ ...app, currentRelease: 3 });
      const result = await deployed.service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), deployed.say);
      expect(result.config).to.deep.equal({});
      expect(deployed.state.said).to.deep.equal([]);
    });

    it('does not apply app.json\'s buildpacks again after the first build, so buildpacks:clear wins, and says so', async () => {
      const cleared = fakes({ ...app, config: { NEEDED: 'yes' } }, [], true);
      await cleared.service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), cleared.say);
      expect(cleared.state.buildpacks).to.deep.equal([]);
      expect(cleared.state.said).to.include(
        'app.json: buildpacks nodejs not applied: app.json\'s buildpacks apply to an app\'s first build only, and this app has none set now (buildpacks:clear), so the build chooses by itself; set them with slipway buildpacks:set');
    });

    it('says nothing of buildpacks that app.json set before and that are still the app\'s', async () => {
      const again = fakes({ ...app, config: { NEEDED: 'yes' } }, ['nodejs'], true);
      await again.service.beforeFirstBuild('shop', parseAppJsonSetup(appJson), again.say);
      expect(again.state.buildpacks).to.deep.equal(['nodejs']);
      expect(again.state.said.filter((l) => l.includes('buildpacks'))).to.deep.equal([]);
    });
  });
});
