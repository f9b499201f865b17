/**
 * Who may read an app's logs: reading needs `operate` (Heroku's rule); callers without
 * credentials get 401, a viewer or a deployer of the app 403 naming the permission.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { authorize, type AccessChecker, type AppPermission, type Principal } from '../../../engine/policy';
import { LogHub } from '../../../engine/logs/log-hub';
import { LogService } from '../../../engine/logs/log-service';
import { LogStore } from '../../../engine/logs/log-store';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { apiDeps, request, startApi } from '../../support/api';

const user = (name: string): Principal => ({ kind: 'user', userId: name.length, userName: name, platformAdmin: false, scope: 'admin', via: 'token', credential: name });

/** Tokens named after what their user may do on `my-app`, through the real policy. */
const PERMISSIONS: Record<string, readonly AppPermission[]> = {
  viewer: ['view'], deployer: ['view', 'deploy'], operator: ['view', 'operate'],
};

const access: AccessChecker = {
  async check(principal, req) {
    const name = principal.kind === 'user' ? principal.userName : '';
    const decision = authorize(principal, req, { app: req.app === 'my-app' ? { team: 't', role: null, memberPermissions: [], collaborator: PERMISSIONS[name] ?? [] } : null });
    if (!decision.allowed) throw new SlipwayError(decision.reason === 'forbidden' ? 'forbidden' : 'app_not_found', decision.message);
  },
};

describe('api: GET /apps/:app/logs and drains, who may', () => {
  let root: string;
  let api: { url: string; close(): Promise<void> };
  let store: LogStore;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-logs-api-'));
    store = new LogStore(root, { maxLines: 1000, maxAgeMs: 86_400_000, maxBytes: 1 << 24 }, silentLogger());
    const hub = new LogHub(store, { ratePerSecond: 1000 }, silentLogger());
    await hub.write('my-app', [{ time: Date.now() * 1000, source: 'app', process: 'web.1', text: 'secret business' }]);
    const apps = { get: async (name: string) => ({ id: 1, name, config: {}, currentRelease: null, createdAt: new Date() }) };
    api = await startApi(apiDeps({
      logs: { logs: new LogService(apps as never, hub) },
      authenticate: async (req) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        return token && token in PERMISSIONS ? user(token) : null;
      },
      access,
    }));
  });
  after(async () => {
    await api.close();
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses a caller without credentials (401)', async () => {
    const answer = await request(`${api.url}/apps/my-app/logs`, { token: null });
    expect(answer.status).to.equal(401);
    expect(JSON.stringify(answer.body)).not.to.contain('secret business');
  });

  for (const who of ['viewer', 'deployer']) {
    it(`refuses a ${who} of the app (403 naming operate)`, async () => {
      const answer = await request(`${api.url}/apps/my-app/logs`, { token: who });
      expect(answer.status).to.equal(403);
      expect(JSON.stringify(answer.body)).to.match(/operate/);
    });
  }

  it('answers an operator with the lines in Heroku\'s format', async () => {
    const answer = await fetch(`${api.url}/apps/my-app/logs?lines=10`, { headers: { authorization: 'Bearer operator' } });
    expect(answer.status).to.equal(200);
    expect(await answer.text()).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: secret business\n$/);
  });

  it('says 404 for an app the caller cannot see', async () => {
    const answer = await request(`${api.url}/apps/other-app/logs`, { token: 'operator' });
    expect(answer.status).to.equal(404);
  });
});
