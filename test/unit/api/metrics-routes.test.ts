/**
 * Who may read metrics, over HTTP with the real route table and the real policy: an app's graphs
 * need `view` on the app (anyone else gets the 404 that hides it), and /metrics is for the scrape
 * token and platform admins only. Requests are counted by route template, never by app name.
 */
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../../../api/auth';
import { AppMetricsService, type AppMetrics } from '../../../engine/metrics/app-metrics-service';
import type { MetricsStore } from '../../../engine/metrics/prometheus-store';
import { PlatformMetrics } from '../../../engine/metrics/platform-metrics';
import { authorize, type AccessChecker, type AppFacts, type Principal } from '../../../engine/policy';
import { SlipwayError } from '../../../lib/errors';
import { apiDeps, request, startApi } from '../../support/api';

const SCRAPE_TOKEN = 'a'.repeat(64);

/** Tokens of callers: a platform admin, an operator (member) and a viewer of team blue (owner of shop), a member of team red, and nobody. */
const users: Record<string, { userId: number; platformAdmin: boolean; team: string | null; role: 'viewer' | 'member' | null }> = {
  'admin-token': { userId: 1, platformAdmin: true, team: null, role: null },
  'viewer-token': { userId: 2, platformAdmin: false, team: 'blue', role: 'viewer' },
  'operator-token': { userId: 4, platformAdmin: false, team: 'blue', role: 'member' },
  'stranger-token': { userId: 3, platformAdmin: false, team: 'red', role: 'member' },
};

async function authenticate(req: IncomingMessage): Promise<Principal | null> {
  const token = bearerToken(req.headers.authorization);
  if (!token) return null;
  const user = users[token];
  if (!user) throw new SlipwayError('unauthorized', 'This API token is not valid.');
  return { kind: 'user', userId: user.userId, userName: token, platformAdmin: user.platformAdmin, scope: 'admin', via: 'token', credential: token };
}

/** The policy with the facts engine/access.ts would load: shop belongs to team blue. */
const access: AccessChecker = {
  async check(principal, asked) {
    const user = principal.kind === 'user' ? Object.values(users).find((u) => u.userId === principal.userId) : undefined;
    const facts: { app?: AppFacts | null } = {};
    if (asked.app !== undefined) {
      facts.app = asked.app === 'shop' ? { team: 'blue', role: user?.team === 'blue' ? user.role : null, memberPermissions: ['view', 'deploy', 'operate'], collaborator: [] } : null;
    }
    const decision = authorize(principal, asked, facts);
    if (!decision.allowed) throw new SlipwayError(decision.reason === 'forbidden' ? 'forbidden' : 'app_not_found', decision.message);
  },
};

describe('metrics over the API: who may read what', () => {
  const platform = new PlatformMetrics({ processMetrics: false });
  const asked: string[] = [];
  const appMetrics = {
    forApp: async (app: string, options: { since?: string | undefined }): Promise<AppMetrics> => {
      asked.push(app);
      return { app, start: 0, end: 3600, step: 10, until: 3600, series: [{ metric: 'requests', unit: 'requests/s', labels: {}, points: [[3590, 4.5]], overall: 4.5 }], ...(options.since ? {} : {}) };
    },
  } as unknown as AppMetricsService;
  let api: Awaited<ReturnType<typeof startApi>>;
  let base: string;

  before(async () => {
    api = await startApi(apiDeps({ authenticate: (req) => authenticate(req), access, metrics: { platform, containers: null, scrapeToken: SCRAPE_TOKEN, appMetrics } }));
    base = api.url.replace(/\/api\/v1$/, '');
  });
  after(() => api.close());

  it('refuses an app\'s metrics to a caller without a token (401) and hides the app from one who cannot view it (404)', async () => {
    asked.length = 0;
    expect((await request(`${api.url}/apps/shop/metrics?since=1h`, { token: null })).status).to.equal(401);
    const stranger = await request(`${api.url}/apps/shop/metrics?since=1h`, { token: 'stranger-token' });
    expect(stranger.status).to.equal(404);
    expect(stranger.body).to.have.nested.property('error.code', 'app_not_found');
    expect(asked).to.deep.equal([]);
  });

  it('refuses an app\'s metrics to a viewer of its team: reading them needs operate, as logs do (403)', async () => {
    const answer = await request(`${api.url}/apps/shop/metrics?since=1h`, { token: 'viewer-token' });
    expect(answer.status).to.equal(403);
    expect(answer.body).to.have.nested.property('error.message').that.matches(/operate/);
  });

  it('answers an app\'s metrics to an operator of its team, as the schema says', async () => {
    const answer = await request(`${api.url}/apps/shop/metrics?since=1h`, { token: 'operator-token' });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal({ app: 'shop', start: 0, end: 3600, step: 10, until: 3600, series: [{ metric: 'requests', unit: 'requests/s', labels: {}, points: [[3590, 4.5]], overall: 4.5 }] });
  });

  it('refuses a query parameter that is not a duration of sensible length before asking Prometheus', async () => {
    const answer = await request(`${api.url}/apps/shop/metrics?since=${'9'.repeat(40)}`, { token: 'operator-token' });
    expect(answer.status).to.equal(400);
  });

  it('serves /metrics to the scrape token and platform admins only: it names every tenant\'s apps', async () => {
    const get = (path: string, token: string | null) => fetch(`${base}${path}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
    expect((await get('/metrics', null)).status).to.equal(401);
    expect((await get('/metrics', 'wrong')).status).to.equal(401);
    expect((await get('/metrics', 'viewer-token')).status).to.equal(403);
    expect((await get('/metrics/containers', 'stranger-token')).status).to.equal(403);
    expect((await get('/metrics', 'admin-token')).status).to.equal(200);
    const scraped = await get('/metrics', SCRAPE_TOKEN);
    expect(scraped.status).to.equal(200);
    expect(scraped.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    // Counted by route template and status; the app's name appears nowhere.
    expect(text).to.match(/^slipway_api_requests_total\{method="GET",route="\/api\/v1\/apps\/:app\/metrics",status="200"\} [1-9]/m);
    expect(text).to.match(/^slipway_api_requests_total\{method="GET",route="\/api\/v1\/apps\/:app\/metrics",status="401"\} [1-9]/m);
    expect(text).to.match(/^slipway_api_request_duration_seconds_count\{method="GET",route="\/api\/v1\/apps\/:app\/metrics"\} [1-9]/m);
    expect(text).not.to.include('shop');
    expect(text).to.match(/^slipway_builds_total\{outcome="failed"\} 0$/m);
  });
});

describe('every app\'s request rate in one answer (the console\'s sparklines)', () => {
  const queries: string[] = [];
  /** Prometheus's answer: traffic for shop (team blue) and for an app of another team. */
  const store: MetricsStore = {
    queryInstant: async () => [],
    queryRange: async (query) => {
      queries.push(query);
      return [
        { labels: { app: 'shop' }, points: [[60, 1.5], [120, 2]] },
        { labels: { app: 'secret-app' }, points: [[60, 9]] },
      ];
    },
  };
  const appMetrics = new AppMetricsService(store, async () => {}, () => 3_600_000);
  let api: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    api = await startApi(apiDeps({
      authenticate: (req) => authenticate(req), access,
      metrics: { platform: new PlatformMetrics({ processMetrics: false }), containers: null, scrapeToken: SCRAPE_TOKEN, appMetrics },
    }));
  });
  after(() => api.close());

  it('answers the rates of the apps the caller may operate, from one Prometheus query, a point a minute', async () => {
    queries.length = 0;
    const answer = await request(`${api.url}/metrics/request-rates?since=1h`, { token: 'operator-token' });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal({ start: 0, end: 3600, step: 60, apps: [{ app: 'shop', points: [[60, 1.5], [120, 2]] }], unavailable: null });
    expect(queries).to.deep.equal(['sum by (app) (rate(slipway_router_requests_total[60s]))']);
  });

  it('leaves out the apps a caller may only view, or not see at all', async () => {
    const viewer = await request(`${api.url}/metrics/request-rates`, { token: 'viewer-token' });
    expect(viewer.status).to.equal(200);
    expect(viewer.body).to.have.property('apps').that.deep.equals([]);
    const stranger = await request(`${api.url}/metrics/request-rates`, { token: 'stranger-token' });
    expect(stranger.body).to.have.property('apps').that.deep.equals([]);
    expect((await request(`${api.url}/metrics/request-rates`, { token: null })).status).to.equal(401);
  });

  it('answers no rates, saying why, when Prometheus cannot answer: the apps list still shows', async () => {
    const down = new AppMetricsService({ queryInstant: async () => [], queryRange: async () => { throw new SlipwayError('metrics_unavailable', 'Prometheus at http://127.0.0.1:1 could not answer'); } }, async () => {}, () => 3_600_000);
    const rates = await down.requestRates('1h', async () => true);
    expect(rates.apps).to.deep.equal([]);
    expect(rates.unavailable).to.match(/could not answer/);
  });
});
