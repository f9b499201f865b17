import { expect } from 'chai';
import { PlatformStatus } from '../../../engine/platform-status';
import { apiDeps, request, startApi } from '../../support/api';

describe('api/server', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => { api = await startApi(apiDeps()); });
  after(async () => { await api.close(); });

  it('answers a 5 MB JSON body with 413 payload_too_large, saying what the limit is', async () => {
    const body = JSON.stringify({ BIG: 'x'.repeat(5 * 1024 * 1024) });
    const answer = await request(`${api.url}/apps/shop/config`, { method: 'PATCH', body });
    expect(answer.status).to.equal(413);
    const error = (answer.body as { error: { code: string; message: string } }).error;
    expect(error.code).to.equal('payload_too_large');
    expect(error.message).to.include('1 MB');
  });

  it('answers a body that is not JSON with 400 invalid_request', async () => {
    const answer = await request(`${api.url}/apps/shop/config`, { method: 'PATCH', body: '{not json' });
    expect(answer.status).to.equal(400);
    expect((answer.body as { error: { code: string } }).error.code).to.equal('invalid_request');
  });
});

describe('api: GET /status, past builds and ps/kill', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  const shop = { id: 1, name: 'shop' };
  const builds = new Map([
    ['b-shop', { id: 'b-shop', appId: 1, status: 'succeeded', commit: 'c', image: null, digest: null, processTypes: {}, log: 'built\n', durationMs: 1, appJson: null, createdAt: new Date(0) }],
    ['b-blog', { id: 'b-blog', appId: 2, status: 'succeeded', commit: 'c', image: null, digest: null, processTypes: {}, log: 'secret\n', durationMs: 1, appJson: null, createdAt: new Date(0) }],
  ]);

  before(async () => {
    api = await startApi(apiDeps({
      apps: { addresses: {}, get: (name: string) => (name === 'shop' ? Promise.resolve(shop) : Promise.reject(new Error('unexpected'))) } as never,
      builds: { get: (id: string) => Promise.resolve(builds.get(id) ?? null) } as never,
      killer: { kill: () => Promise.reject(new Error('the killer must not be reached without a token')) } as never,
      status: new PlatformStatus({
        api: () => Promise.resolve('answering'), database: () => Promise.resolve('ok'), etcd: () => Promise.resolve('ok'),
        registry: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5000')), docker: () => Promise.resolve('Docker 20'),
        router: () => new Promise(() => undefined),
      }, 200),
    }));
  });
  after(async () => { await api.close(); });

  it('refuses callers without a valid token', async () => {
    for (const route of ['/status', '/apps/shop/builds/b-shop', '/apps/shop/builds/b-shop/output']) {
      for (const token of [null, 'wrong']) expect((await request(`${api.url}${route}`, { token })).status, route).to.equal(401);
    }
    for (const token of [null, 'wrong']) {
      const kill = await request(`${api.url}/apps/shop/ps/kill`, { method: 'POST', token, body: '{"instance":"web.1"}' });
      expect(kill.status, 'ps/kill').to.equal(401);
    }
  });

  it('GET /status answers every component in order, with why one is down or did not answer in time', async () => {
    const answer = await request(`${api.url}/status`);
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal({ ok: false, components: [
      { component: 'api', ok: true, detail: 'answering' },
      { component: 'database', ok: true, detail: 'ok' },
      { component: 'etcd', ok: true, detail: 'ok' },
      { component: 'registry', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5000' },
      { component: 'docker', ok: true, detail: 'Docker 20' },
      { component: 'router', ok: false, detail: 'no answer within 0.2 s' },
    ] });
  });

  it('serves a build and its recorded output, and no other app\'s build', async () => {
    expect(await request(`${api.url}/apps/shop/builds/b-shop/output`)).to.deep.equal({ status: 200, body: { id: 'b-shop', status: 'succeeded', output: 'built\n' } });
    expect((await request(`${api.url}/apps/shop/builds/b-shop`)).body).to.include({ id: 'b-shop', status: 'succeeded' });
    const other = await request(`${api.url}/apps/shop/builds/b-blog/output`);
    expect(other.status).to.equal(404);
    expect((other.body as { error: { code: string } }).error.code).to.equal('build_not_found');
  });
});
