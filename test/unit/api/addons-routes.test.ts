/** The add-on routes over the real services (SQLite, fake servers and bindings), behind the token check. */
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { BackupFiles } from '../../../engine/addons/backup-files';
import { BackupsService } from '../../../engine/addons/backups-service';
import { LinksService } from '../../../engine/addons/links-service';
import { CredentialsRotation } from '../../../engine/addons/rotation';
import { BackupsRepo } from '../../../engine/store/backups-repo';
import { silentLogger } from '../../../lib/log';
import { SlipwayError } from '../../../lib/errors';
import type { AccessChecker, Principal } from '../../../engine/policy';
import { API_TOKEN, apiDeps, request, startApi } from '../../support/api';
import { harness, type Harness } from '../engine/addons/harness';

function download(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { authorization: `Bearer ${API_TOKEN}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

describe('api/routes/addons', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: Awaited<ReturnType<typeof startApi>>;
  let backups: BackupsService;
  /** The background part of each capture the API started, to await instead of polling. */
  let captures: Array<Promise<unknown>>;

  beforeEach(async () => {
    h = await harness();
    backups = new BackupsService(h.service, h.repo, new BackupsRepo(h.db), h.servers, new BackupFiles(path.join(h.tmp, 'backups')), silentLogger());
    captures = [];
    const capture = backups.capture.bind(backups);
    backups.capture = async (...args) => {
      const started = await capture(...args);
      captures.push(started.done);
      return started;
    };
    const routes = {
      addons: h.service, backups,
      rotation: new CredentialsRotation(h.service, h.repo, h.servers, silentLogger()),
      links: new LinksService(h.repo, h.apps, h.service, h.bindings, { teamOf: async (app) => h.teams.get(app.name) ?? 1 }, (app) => `http://${app}:5000`),
    };
    api = await startApi(apiDeps({ addons: routes, config: h.config }));
  });
  afterEach(async () => {
    await api.close();
    await h.close();
  });

  async function available(kind = 'postgresql'): Promise<string> {
    const created = await request(`${api.url}/apps/shop/addons`, { method: 'POST', body: JSON.stringify({ kind }) });
    expect(created.status).to.equal(202);
    const name = (created.body as { name: string }).name;
    await h.service.converge((await h.repo.get(name)).id);
    return name;
  }

  it('refuses every add-on route to a caller without a valid token, touching nothing', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/addons'], ['POST', '/apps/shop/addons'], ['GET', '/addons/postgresql-x-10000'], ['DELETE', '/addons/postgresql-x-10000'],
      ['POST', '/addons/postgresql-x-10000/attachments'], ['DELETE', '/addons/postgresql-x-10000/attachments/shop'],
      ['POST', '/addons/postgresql-x-10000/credentials/rotate'], ['GET', '/addons/postgresql-x-10000/backups'],
      ['POST', '/addons/postgresql-x-10000/backups'], ['GET', '/addons/postgresql-x-10000/backups/b001/download'],
      ['POST', '/addons/postgresql-x-10000/backups/b001/restore'], ['PUT', '/addons/postgresql-x-10000/backup-schedule'],
      ['GET', '/apps/shop/links'], ['POST', '/apps/shop/links'], ['DELETE', '/apps/shop/links/blog'],
    ];
    for (const [method, route] of routes) {
      for (const token of [null, 'wrong-token']) {
        const answer = await request(`${api.url}${route}`, { method, token, body: method === 'GET' || method === 'DELETE' ? undefined : '{"kind":"redis","app":"blog"}' });
        expect(answer.status, `${method} ${route}`).to.equal(401);
        expect((answer.body as { error: { code: string } }).error.code).to.equal('unauthorized');
      }
    }
    expect(await h.repo.list()).to.deep.equal([]);
  });

  it('creates (202, provisioning), lists with attachments, shows info with the password hidden unless revealed', async () => {
    const name = await available();
    const list = await request(`${api.url}/addons?app=shop`);
    expect(list.status).to.equal(200);
    const [addon] = list.body as Array<Record<string, unknown>>;
    expect(addon).to.include({ name, kind: 'postgresql', plan: 'small', state: 'available', team: 1 });
    expect(addon!.attachments).to.deep.equal([{ app: 'shop', name: 'DATABASE', configKeys: ['DATABASE_URL'], bound: true }]);
    expect(String(addon!.url)).to.include('*****');
    const revealed = await request(`${api.url}/addons/${name}?reveal=true`);
    expect((revealed.body as { url: string }).url).to.equal((await h.config.get('shop')).DATABASE_URL);
    const bad = await request(`${api.url}/apps/shop/addons`, { method: 'POST', body: '{"kind":"mongodb"}' });
    expect(bad.status).to.equal(400);
    expect((bad.body as { error: { message: string } }).error.message).to.include('Unknown add-on kind');
    expect((await request(`${api.url}/addons/nope-nope-1`)).status).to.equal(404);
  });

  it('refuses PATCH /apps/:app/config of an add-on\'s variable with 409 config_var_owned', async () => {
    const name = await available();
    const answer = await request(`${api.url}/apps/shop/config`, { method: 'PATCH', body: '{"DATABASE_URL":null}' });
    expect(answer.status).to.equal(409);
    expect((answer.body as { error: { code: string; message: string } }).error).to.include({ code: 'config_var_owned' });
    expect((answer.body as { error: { message: string } }).error.message).to.include(`addons:detach ${name} -a shop`);
  });

  it('attaches, detaches, and destroys only with the confirmation and when detached (or with detachAll)', async () => {
    const name = await available('redis');
    const attached = await request(`${api.url}/addons/${name}/attachments`, { method: 'POST', body: '{"app":"blog","as":"cache"}' });
    expect(attached.status).to.equal(201);
    expect((await h.config.get('blog')).CACHE_URL).to.match(/^redis:\/\//);
    expect((await request(`${api.url}/addons/${name}`, { method: 'DELETE' })).status).to.equal(400);
    const refused = await request(`${api.url}/addons/${name}?confirm=${name}`, { method: 'DELETE' });
    expect(refused.status).to.equal(409);
    expect((refused.body as { error: { code: string } }).error.code).to.equal('addon_attached');
    expect((await request(`${api.url}/addons/${name}/attachments/blog`, { method: 'DELETE' })).status).to.equal(200);
    expect(await h.config.get('blog')).to.deep.equal({});
    expect((await request(`${api.url}/addons/${name}?confirm=${name}&detachAll=true`, { method: 'DELETE' })).status).to.equal(204);
    expect(await h.repo.list()).to.deep.equal([]);
  });

  it('captures a backup (202), lists it verified, streams the file, and restores only with the confirmation', async () => {
    const name = await available();
    const captured = await request(`${api.url}/addons/${name}/backups`, { method: 'POST' });
    expect(captured.status).to.equal(202);
    expect(captured.body).to.include({ id: 'b001', status: 'pending' });
    await Promise.all(captures); // the capture runs in the background
    expect((await request(`${api.url}/addons/${name}/backups/b001`)).body).to.include({ status: 'verified' });
    const list = await request(`${api.url}/addons/${name}/backups`);
    expect((list.body as Array<{ id: string; status: string }>).map((b) => [b.id, b.status])).to.deep.equal([['b001', 'verified']]);
    const file = await download(`${api.url}/addons/${name}/backups/latest/download`);
    expect(file).to.deep.equal({ status: 200, type: 'application/gzip', body: 'dump of rows' });
    const noConfirm = await request(`${api.url}/addons/${name}/backups/b001/restore`, { method: 'POST', body: '{}' });
    expect(noConfirm.status).to.equal(400);
    expect((noConfirm.body as { error: { code: string } }).error.code).to.equal('confirmation_required');
    const restored = await request(`${api.url}/addons/${name}/backups/b001/restore`, { method: 'POST', body: JSON.stringify({ confirm: name }) });
    expect(restored.status).to.equal(200);
    const schedule = await request(`${api.url}/addons/${name}/backup-schedule`, { method: 'PUT', body: '{"at":"02:00","keep":7}' });
    expect(schedule.body).to.include({ at: '02:00', keep: 7 });
  });

  it('links apps of one team and unlinks them', async () => {
    const linked = await request(`${api.url}/apps/shop/links`, { method: 'POST', body: '{"app":"blog"}' });
    expect(linked.status).to.equal(201);
    expect(linked.body).to.include({ configKey: 'BLOG_URL', url: 'http://blog:5000' });
    expect((await request(`${api.url}/apps/shop/links`, { method: 'POST', body: '{"app":"other"}' })).status).to.equal(409);
    expect((await request(`${api.url}/apps/shop/links/blog`, { method: 'DELETE' })).status).to.equal(204);
    expect(await h.config.get('shop')).to.deep.equal({});
  });

  describe('as a user who may only view blog', () => {
    let userApi: Awaited<ReturnType<typeof startApi>>;
    beforeEach(async () => {
      const viewer: Principal = { kind: 'user', userId: 7, userName: 'vic', platformAdmin: false, scope: 'read', via: 'token', credential: '' };
      const access: AccessChecker = {
        async check(_principal, request) {
          if (request.action === 'account') return;
          if (request.app !== 'blog') throw new SlipwayError('app_not_found', `No app named "${request.app}" that you can see.`);
          if (request.action !== 'app:view') throw new SlipwayError('forbidden', 'You need the manage permission on blog for this.');
        },
      };
      const routes = {
        addons: h.service, backups, rotation: new CredentialsRotation(h.service, h.repo, h.servers, silentLogger()),
        links: new LinksService(h.repo, h.apps, h.service, h.bindings, { teamOf: async () => 1 }, (app) => `http://${app}:5000`),
      };
      userApi = await startApi(apiDeps({ addons: routes, config: h.config, access, authenticate: async (req) => (req.headers.authorization === `Bearer ${API_TOKEN}` ? viewer : null) }));
    });
    afterEach(async () => { await userApi.close(); });

    it('sees only add-ons of apps it may view, reads them without secrets, and changes nothing', async () => {
      const shopOnly = await available('redis');
      const shared = await available('postgresql');
      await h.service.attach(shared, 'blog');
      const list = await request(`${userApi.url}/addons`);
      expect((list.body as Array<{ name: string }>).map((a) => a.name)).to.deep.equal([shared]);
      expect((await request(`${userApi.url}/addons/${shopOnly}`)).status).to.equal(404);
      expect((await request(`${userApi.url}/addons/${shopOnly}/backups`)).status).to.equal(404);
      expect((await request(`${userApi.url}/addons/${shared}`)).status).to.equal(200);
      expect((await request(`${userApi.url}/addons/${shared}?reveal=true`)).status).to.equal(403);
      expect((await request(`${userApi.url}/addons/${shared}/backups/latest/download`)).status).to.equal(403);
      expect((await request(`${userApi.url}/addons/${shared}?confirm=${shared}&detachAll=true`, { method: 'DELETE' })).status).to.equal(403);
      expect((await request(`${userApi.url}/addons/${shared}/credentials/rotate`, { method: 'POST' })).status).to.equal(403);
      expect((await request(`${userApi.url}/apps/shop/addons`, { method: 'POST', body: '{"kind":"redis"}' })).status).to.equal(404);
      expect((await h.repo.list()).map((a) => a.name).sort()).to.deep.equal([shopOnly, shared].sort());
    });
  });
});
