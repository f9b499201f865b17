import type http from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import { createApi, listen, type ApiDeps } from '../../../api/server';
import type { App } from '../../../engine/model';
import { silentLogger } from '../../../lib/log';

describe('api PATCH /apps/:app (apps:rename)', () => {
  let server: http.Server;
  let base: string;
  const renames: Array<[string, string]> = [];

  before(async () => {
    const addresses = { hostFor: (a: string) => `${a}.slipway.localhost`, urlFor: (a: string) => `http://${a}.slipway.localhost`, gitUrlFor: (a: string) => `ssh://git@127.0.0.1:2222/${a}.git` };
    const deps = {
      identity: { authenticate: async (token: string) => (token === 'good' ? { id: 1, name: 'admin' } : null) },
      apps: { addresses },
      renamer: {
        rename: async (from: string, to: string): Promise<App> => {
          renames.push([from, to]);
          return { id: 1, name: to, config: {}, currentRelease: 2, createdAt: new Date(0) };
        },
      },
      logger: silentLogger(),
      info: { domain: 'slipway.localhost', sshHost: '127.0.0.1', sshPort: 2222, version: '0' },
    } as unknown as ApiDeps;
    server = await listen(createApi(deps), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/v1`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const patch = (token: string | null, body: unknown) => fetch(`${base}/apps/shop`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

  it('refuses a caller without a valid token, renaming nothing', async () => {
    for (const token of [null, 'bad']) {
      const res = await patch(token, { name: 'store' });
      expect(res.status).to.equal(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
    }
    expect(renames).to.deep.equal([]);
  });

  it('renames and answers the app under its new name, with its new URL and git URL', async () => {
    const res = await patch('good', { name: 'store' });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({
      name: 'store', url: 'http://store.slipway.localhost', gitUrl: 'ssh://git@127.0.0.1:2222/store.git', currentRelease: 2,
    });
    expect(renames).to.deep.equal([['shop', 'store']]);
  });

  it('asks for the new name when the body has none', async () => {
    const res = await patch('good', {});
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.equal('Give the new name: {"name": "new-name"}.');
  });
});
