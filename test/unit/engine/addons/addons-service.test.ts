/** The add-on services on a real SQLite store, with fake servers and bindings (test/unit/engine/addons/fakes.ts). */
import { expect } from 'chai';
import { AddonsService } from '../../../../engine/addons/addons-service';
import { generateCredentials } from '../../../../engine/addons/kinds';
import { AddonsReconciler, orphanServers } from '../../../../engine/addons/reconcile';
import { CredentialsRotation } from '../../../../engine/addons/rotation';
import { LinksService } from '../../../../engine/addons/links-service';
import { silentLogger } from '../../../../lib/log';
import { harness, refusal, type Harness } from './harness';

describe('engine/addons/addons-service', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => { h = await harness(); });
  afterEach(async () => { await h.close(); });

  it('creates a record first, then provisions once and binds DATABASE_URL with a release', async () => {
    const view = await h.service.create('shop', { kind: 'postgresql' });
    expect(view.addon.name).to.match(/^postgresql-[a-z]+-\d{5}$/);
    expect(view.addon.state).to.equal('provisioning');
    expect(view.attachments).to.deep.equal([{ app: 'shop', name: 'DATABASE', configKeys: ['DATABASE_URL'], bound: false }]);
    await h.service.converge(view.addon.id);
    const info = await h.service.info(view.addon.name, true);
    expect(info.addon.state).to.equal('available');
    expect(info.attachments[0]!.bound).to.equal(true);
    const config = await h.config.get('shop');
    expect(config.DATABASE_URL).to.equal(info.url).and.to.match(/^postgres:\/\//);
    expect(h.servers.created).to.equal(1);
    expect(h.bindings.releases.map((r) => r.description)).to.deep.equal([`Attach DATABASE (${view.addon.name})`]);
    // Without reveal, the password is hidden.
    expect((await h.service.info(view.addon.name)).url).to.include('*****').and.not.include(config.DATABASE_URL!.split(':')[2]!.split('@')[0]);
  });

  it('is idempotent: converging again (a retry, the reconciler) neither makes a second server nor a second release', async () => {
    const { addon } = await h.service.create('shop', { kind: 'redis' });
    await Promise.all([h.service.converge(addon.id), h.service.converge(addon.id)]);
    await h.service.converge(addon.id);
    await new AddonsReconciler(h.repo, h.service, h.servers, silentLogger()).pass();
    expect(h.servers.created).to.equal(1);
    expect(h.bindings.releases).to.have.length(1);
    expect(Object.keys(await h.config.get('shop'))).to.deep.equal(['REDIS_URL']);
  });

  it('converges after a crash mid-provisioning: a new process finishes it with the same server', async () => {
    h.servers.hangNextEnsure = true;
    const { addon } = await h.service.create('shop', { kind: 'postgresql' });
    // The first process "dies" with ensure in flight; a new one starts on the same store and servers.
    const restarted = new AddonsService({ repo: h.repo, apps: h.apps, servers: h.servers, bindings: h.bindings,
      teams: { teamOf: async () => 1 }, logger: silentLogger() });
    await new AddonsReconciler(h.repo, restarted, h.servers, silentLogger()).pass();
    expect((await h.repo.get(addon.name)).state).to.equal('available');
    expect(h.servers.created).to.equal(1);
    expect(h.servers.servers.size).to.equal(1);
    expect((await h.config.get('shop')).DATABASE_URL).to.match(/^postgres:/);
  });

  it('records a failed provisioning with its reason, and binds nothing', async () => {
    h.servers.ensureError = new Error('image slipway/addon-postgresql missing');
    const { addon } = await h.service.create('shop', { kind: 'postgresql' });
    await h.service.converge(addon.id);
    const info = await h.service.info(addon.name);
    expect(info.addon.state).to.equal('failed');
    expect(info.addon.stateReason).to.include('image slipway/addon-postgresql missing');
    expect(h.bindings.releases).to.deep.equal([]);
  });

  it('gives MySQL a mysql:// DATABASE_URL and --as a second variable', async () => {
    const { addon } = await h.service.create('shop', { kind: 'mysql', as: 'analytics' });
    await h.service.converge(addon.id);
    const config = await h.config.get('shop');
    expect(Object.keys(config).sort()).to.deep.equal(['ANALYTICS_URL', 'DATABASE_URL']);
    expect(config.DATABASE_URL).to.match(/^mysql:\/\//);
    // A second PostgreSQL with --as does not take DATABASE_URL from the first.
    const second = await h.service.create('shop', { kind: 'postgresql', as: 'REPORTS' });
    expect(second.attachments[0]!.configKeys).to.deep.equal(['REPORTS_URL']);
  });

  it('refuses bad input with clear errors and changes nothing', async () => {
    expect((await refusal(h.service.create('shop', { kind: 'mongodb' }))).message).to.include('Unknown add-on kind "mongodb"');
    expect((await refusal(h.service.create('shop', { kind: 'redis', plan: 'huge' }))).message).to.include('Unknown plan');
    expect((await refusal(h.service.create('shop', { kind: 'redis', as: 'bad name!' }))).code).to.equal('invalid_request');
    expect((await refusal(h.service.create('nope', { kind: 'redis' }))).code).to.equal('app_not_found');
    await h.config.update('shop', { DATABASE_URL: 'postgres://mine' });
    const taken = await refusal(h.service.create('shop', { kind: 'postgresql' }));
    expect(taken.code).to.equal('attachment_exists');
    expect(taken.message).to.include('config:unset shop DATABASE_URL');
    expect(await h.repo.list()).to.deep.equal([]);
  });

  it('protects an add-on\'s variables from config:set and config:unset, pointing at addons:detach', async () => {
    const { addon } = await h.service.create('shop', { kind: 'postgresql' });
    await h.service.converge(addon.id);
    const before = await h.config.get('shop');
    for (const change of [{ DATABASE_URL: 'postgres://elsewhere' }, { DATABASE_URL: null }]) {
      const error = await refusal(h.config.update('shop', change));
      expect(error.code).to.equal('config_var_owned');
      expect(error.message).to.include(`slipway addons:detach ${addon.name} -a shop`);
    }
    expect(await h.config.get('shop')).to.deep.equal(before);
    await h.config.update('shop', { OTHER: 'fine' });
    expect((await h.config.get('shop')).OTHER).to.equal('fine');
  });

  it('attaches to another app of the same team only, and detaches with a release that removes the variables', async () => {
    const { addon } = await h.service.create('shop', { kind: 'postgresql' });
    await h.service.converge(addon.id);
    const other = await refusal(h.service.attach(addon.name, 'other'));
    expect(other.code).to.equal('addon_other_team');
    const view = await h.service.attach(addon.name, 'blog', 'main_db');
    expect(view.attachments.map((a) => [a.app, a.name, a.bound])).to.deep.equal([['shop', 'DATABASE', true], ['blog', 'MAIN_DB', true]]);
    expect((await h.config.get('blog')).MAIN_DB_URL).to.equal((await h.config.get('shop')).DATABASE_URL);
    await h.service.detach(addon.name, 'blog');
    expect(await h.config.get('blog')).to.deep.equal({});
    expect((await refusal(h.service.detach(addon.name, 'blog'))).code).to.equal('attachment_not_found');
  });

  it('refuses destroy without --confirm or while attached; --detach-all unbinds, removes the server and the record', async () => {
    const { addon } = await h.service.create('shop', { kind: 'redis' });
    await h.service.converge(addon.id);
    expect((await refusal(h.service.destroy(addon.name, 'wrong'))).code).to.equal('confirmation_required');
    const attached = await refusal(h.service.destroy(addon.name, addon.name));
    expect(attached.code).to.equal('addon_attached');
    expect(attached.message).to.include('shop');
    expect(h.servers.servers.size).to.equal(1);
    await h.service.destroy(addon.name, addon.name, true);
    expect(await h.config.get('shop')).to.deep.equal({});
    expect(h.servers.servers.size).to.equal(0);
    expect(await h.repo.find(addon.name)).to.equal(null);
  });

  it('gives addons:connect the kind\'s client, logged in as the apps are, only through an attached app of a ready server', async () => {
    h.servers.hangNextEnsure = true;
    const provisioning = await h.service.create('shop', { kind: 'redis' });
    expect((await refusal(h.service.client('shop', provisioning.addon.name))).code, 'before the server has an address').to.equal('addon_not_ready');
    const { addon } = await h.service.create('shop', { kind: 'postgresql', as: 'MAIN' });
    await h.service.converge(addon.id);
    const client = await h.service.client('shop', addon.name);
    expect(client.image).to.equal('fake/addon-postgresql');
    expect(client.command).to.equal('exec psql');
    const url = new URL((await h.config.get('shop')).DATABASE_URL!);
    expect(client.env).to.include({ PGUSER: url.username, PGPASSWORD: url.password, PGHOST: url.hostname, PGDATABASE: url.pathname.slice(1) });
    const notAttached = await refusal(h.service.client('blog', addon.name));
    expect([notAttached.code, notAttached.message]).to.satisfy(([code, message]: [string, string]) =>
      code === 'attachment_not_found' && message.includes(`slipway addons:attach ${addon.name} blog`));
    const none = await refusal(h.service.client('shop', 'postgresql-none-00000'));
    expect(none.code).to.equal('addon_not_found');
    const otherTeam = await refusal(h.service.client('other', addon.name));
    expect([otherTeam.code, otherTeam.message], 'another team\'s add-on: the same answer as none at all')
      .to.deep.equal(['addon_not_found', none.message.replace('postgresql-none-00000', addon.name)]);
    const external = await h.service.create('shop', { kind: 'external', url: 'postgres://a:b@db.example.com/x', as: 'LEGACY' });
    expect((await refusal(h.service.client('shop', external.addon.name))).message).to.include('Connect with your own client');
  });

  it('binds an external service at once, keeps its URL sealed and hides its password unless asked', async () => {
    const url = 'postgres://admin:s3cret@db.example.com:5432/app';
    const view = await h.service.create('shop', { kind: 'external', url });
    await h.service.converge(view.addon.id);
    expect(view.addon.state).to.equal('available');
    expect((await h.config.get('shop')).DATABASE_URL).to.equal(url);
    expect((await h.service.info(view.addon.name)).url).to.equal('postgres://admin:*****@db.example.com:5432/app');
    expect((await h.service.info(view.addon.name, true)).url).to.equal(url);
    const stored = await h.db('addons').where({ id: view.addon.id }).first('secret');
    expect(String(stored.secret)).to.match(/^slipway-sealed:/).and.not.include('s3cret');
    expect((await refusal(h.service.create('shop', { kind: 'external', url: 'not a url' }))).message).to.include('--url');
    expect((await refusal(h.service.create('blog', { kind: 'external', url: 'https://api.example.com' }))).message).to.include('--as NAME');
  });

  describe('credentials rotation', () => {
    it('makes new credentials, releases every attached app, and revokes the old ones only once no old instance runs', async () => {
      const { addon } = await h.service.create('shop', { kind: 'postgresql' });
      await h.service.converge(addon.id);
      await h.service.attach(addon.name, 'blog', 'MAIN');
      const oldUrl = (await h.config.get('shop')).DATABASE_URL!;
      const oldUser = [...h.servers.servers.get(addon.name)!.users.keys()][0]!;
      h.events.length = 0;
      await new CredentialsRotation(h.service, h.repo, h.servers, silentLogger()).rotate(addon.name);
      expect(h.events).to.deep.equal([
        `rotate ${addon.name}`,
        'release shop DATABASE_URL=set',
        'release blog MAIN_URL=set DATABASE_URL=set',
        'settled shop',
        'settled blog',
        `revoke ${addon.name} ${oldUser}`,
      ]);
      const newUrl = (await h.config.get('shop')).DATABASE_URL!;
      expect(newUrl).to.not.equal(oldUrl);
      const users = [...h.servers.servers.get(addon.name)!.users.keys()];
      expect(users).to.have.length(1);
      expect(users).to.not.include(oldUser);
    });

    it('keeps the old credentials when a release fails, and finishes with the same new ones when run again', async () => {
      const { addon } = await h.service.create('shop', { kind: 'postgresql' });
      await h.service.converge(addon.id);
      const rotation = new CredentialsRotation(h.service, h.repo, h.servers, silentLogger());
      h.bindings.failNext = new Error('the new release did not start');
      const error = await refusal(rotation.rotate(addon.name));
      expect(error.message).to.include('old ones still work');
      expect(h.servers.servers.get(addon.name)!.users.size).to.equal(2);
      expect(h.events.some((e) => e.startsWith('revoke'))).to.equal(false);
      await rotation.rotate(addon.name);
      expect(h.events.filter((e) => e.startsWith('rotate'))).to.have.length(1);
      expect(h.servers.servers.get(addon.name)!.users.size).to.equal(1);
      const user = [...h.servers.servers.get(addon.name)!.users.values()][0]!;
      expect((await h.config.get('shop')).DATABASE_URL).to.include(user.password);
    });
  });

  describe('app links', () => {
    it('gives APP <OTHER>_URL (or --as) on the team network, protected like an add-on\'s, and removes it on unlink', async () => {
      const links = new LinksService(h.repo, h.apps, h.service, h.bindings, { teamOf: async (app) => h.teams.get(app.name) ?? 1 }, (app) => `http://${app}:5000`);
      const link = await links.link('shop', 'blog');
      expect(link).to.include({ configKey: 'BLOG_URL', url: 'http://blog:5000' });
      expect((await h.config.get('shop')).BLOG_URL).to.equal('http://blog:5000');
      expect((await refusal(h.config.update('shop', { BLOG_URL: null }))).message).to.include('apps:unlink shop blog');
      expect((await refusal(links.link('shop', 'other'))).code).to.equal('addon_other_team');
      await links.link('blog', 'shop', 'api');
      expect((await h.config.get('blog')).API_URL).to.equal('http://shop:5000');
      await links.unlink('shop', 'blog');
      expect(await h.config.get('shop')).to.deep.equal({});
      expect(await links.list('shop')).to.deep.equal([]);
    });
  });

  describe('reconcile pass', () => {
    it('ensures a server found missing again and records its health', async () => {
      const { addon } = await h.service.create('shop', { kind: 'redis' });
      await h.service.converge(addon.id);
      h.servers.servers.get(addon.name)!.state = 'stopped';
      await new AddonsReconciler(h.repo, h.service, h.servers, silentLogger()).pass();
      expect(h.servers.servers.get(addon.name)!.state).to.equal('running');
      expect((await h.repo.get(addon.name)).health).to.equal('healthy');
      expect(h.servers.created).to.equal(1);
    });

    it('removes the containers of servers no add-on names (keeping their volumes) and stale scratch servers, never one with a record', async () => {
      const kept = await h.service.create('shop', { kind: 'redis' });
      await h.service.converge(kept.addon.id);
      h.servers.ensureError = new Error('no image');
      const failed = await h.service.create('blog', { kind: 'mysql' });
      await h.service.converge(failed.addon.id);
      h.servers.ensureError = null;
      expect((await h.repo.get(failed.addon.name)).state).to.equal('failed');
      const spec = { kind: 'postgresql' as const, plan: 'small' as const, teamId: 1, credentials: generateCredentials('postgresql-gone-10000') };
      await h.servers.ensure({ ...spec, addonName: 'postgresql-gone-10000' });
      await h.servers.ensure({ ...spec, addonName: failed.addon.name });
      h.servers.staleScratch.push('verify-0123456789ab');
      h.events.length = 0;
      await new AddonsReconciler(h.repo, h.service, h.servers, silentLogger()).pass();
      expect(h.events.filter((e) => e.startsWith('remove'))).to.deep.equal([
        'remove postgresql-gone-10000 (volume kept)',
        'remove scratch verify-0123456789ab',
      ]);
      expect([...h.servers.servers.keys()].sort()).to.deep.equal([failed.addon.name, kept.addon.name].sort());
    });

    it('plans as orphans exactly the servers that no record names', () => {
      const server = (addonName: string) => ({ addonName, kind: 'redis' as const, teamId: 1, plan: 'small' as const, state: 'running' as const });
      expect(orphanServers([server('redis-a-10000'), server('redis-b-10000')], [{ name: 'redis-a-10000' }])).to.deep.equal(['redis-b-10000']);
      expect(orphanServers([], [{ name: 'redis-a-10000' }])).to.deep.equal([]);
    });
  });
});
