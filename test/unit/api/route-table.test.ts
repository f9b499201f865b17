/**
 * The route table as a whole: every route says who may call it, is in the OpenAPI document, and
 * refuses callers without credentials or without the permission before any service is reached.
 * Built from the table itself, so a new route is covered the moment it is declared.
 */
import { expect } from 'chai';
import { apiRoutes } from '../../../api/server';
import { openApiDocument, openApiPath, routeErrors } from '../../../api/openapi';
import type { Route } from '../../../api/route-table';
import { SlipwayError, ERROR_CODES } from '../../../lib/errors';
import { ACTIONS, authorize, type AccessFacts, type AccessRequest, type AppPermission, type Principal } from '../../../engine/policy';
import { refusalError } from '../../../engine/access-refusal';
import { API_TOKEN, apiDeps, request, startApi } from '../../support/api';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Every optional part of the API present, each one failing the test if reached. */
const untouchable = new Proxy({}, { get: (_t, name) => () => { throw new Error(`a service was called (${String(name)})`); } });
const fullDeps = () => apiDeps({
  run: { oneOffs: untouchable, attachTimeoutSeconds: 60 } as never,
  buildpacks: { buildpacks: untouchable, buildCaches: untouchable, appExists: untouchable, imageDeploys: untouchable } as never,
  domains: untouchable as never, registry: untouchable as never, maintenance: untouchable as never,
  killer: untouchable as never, status: untouchable as never, capacity: untouchable as never,
  accounts: { teams: untouchable, appAccess: untouchable, audit: untouchable } as never,
  addons: { addons: untouchable, backups: untouchable, rotation: untouchable, links: untouchable } as never,
  timeline: untouchable as never,
  storage: untouchable as never,
});

/** A concrete URL for a route: parameters filled with plausible values. */
function concretePath(route: Route): string {
  return route.path.replace(/:([a-z]+)/gi, (_m, name: string) => (name === 'app' ? 'shop' : name === 'version' ? '3' : name === 'index' || name === 'id' ? '1' : 'x'));
}

/** A body each route accepts, so refusals come from the policy and not from validation. */
function plausibleBody(route: Route): unknown {
  if (!route.body) return undefined;
  for (const candidate of [{}, { name: 'shop' }, { hostname: 'www.example.com' }, { maintenance: true }, { redirectHttps: true },
    { instance: 'web.1' }, { publicKey: 'ssh-ed25519 AAAA' }, { certificate: 'x', privateKey: 'y' },
    { name: 'alice', email: 'alice@example.com' }, { disabled: true }, { user: 'bob', role: 'member' }, { role: 'viewer' },
    { user: 'bob', permissions: ['view'] }, { team: 'acme' }, { current: 'the-old-password', password: 'the-new-password' }, { memberPermissions: ['view'] },
    { app: 'shop', kind: 'redis', at: '02:00', keep: 7 }, { path: '/data' }]) {
    if (route.body.safeParse(candidate).success) return candidate;
  }
  throw new Error(`no plausible body for ${route.method} ${route.path}`);
}

const routes = () => apiRoutes(fullDeps());
const principalAnn: Principal = { kind: 'user', userId: 2, userName: 'ann', platformAdmin: false, scope: 'admin', via: 'token', credential: '1' };

describe('api/route-table (every route, from the table)', function () {
  // Dozens of requests each: the shared 2-core machine can be slow.
  this.timeout(30_000);
  const routes = apiRoutes(fullDeps());

  it('declares an access rule naming a policy action for every route but the public ones', () => {
    const publicRoutes = routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`);
    expect(publicRoutes).to.have.members(['get /health', 'get /openapi.json', 'post /login']);
    for (const route of routes) {
      if (route.access === 'public') continue;
      const asked = route.access({ params: { app: 'shop', team: 't' }, query: {}, body: {} }, { kind: 'user', userId: 2, userName: 'ann', platformAdmin: false, scope: 'admin', via: 'token', credential: '1' }) as AccessRequest;
      expect(ACTIONS, `${route.method} ${route.path}`).to.include(asked.action);
      if (route.path.includes(':app')) expect(asked.app, `${route.method} ${route.path} names its app`).to.equal('shop');
    }
  });

  it('asks operate for every route that answers what an app or its build printed (build output can hold config values)', () => {
    const printed = routes.filter((r) => r.method === 'get' && /\/(logs|output)(\/|$)/.test(r.path));
    expect(printed.map((r) => r.path)).to.include('/apps/:app/builds/:id/output');
    for (const route of printed) {
      const asked = (route.access as (i: unknown, p: Principal) => AccessRequest)({ params: { app: 'shop' }, query: {}, body: {} }, principalAnn);
      expect(asked.action, `${route.method} ${route.path}`).to.equal('app:operate');
    }
  });

  it('gives every change an audit name, and no read one', () => {
    for (const route of routes) {
      if (route.access === 'public') continue;
      const label = `${route.method} ${route.path}`;
      if (route.method === 'get') expect(route.audit, label).to.equal(undefined);
      else expect(route.audit, label).to.be.a('string');
    }
  });

  it('describes every route in the OpenAPI 3.1 document, with its errors', () => {
    const document = openApiDocument(routes, '1.2.3') as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(document.openapi).to.equal('3.1.0');
    for (const route of routes) {
      const operation = document.paths[openApiPath(route.path)]?.[route.method];
      expect(operation, `${route.method} ${route.path}`).to.be.an('object');
      for (const code of routeErrors(route)) expect(operation!.responses, `${route.method} ${route.path} ${code}`).to.have.property(String(ERROR_CODES[code]));
    }
    expect(Object.values(document.paths).flatMap((p) => Object.keys(p))).to.have.length(routes.length);
  });

  it('documents every error code in docs/contracts/api.md', () => {
    const doc = readFileSync(path.join(__dirname, '../../../../docs/contracts/api.md'), 'utf8');
    const missing = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).to.deep.equal([]);
  });

  describe('over HTTP', function () {
    // One request per route and credential: seconds on a shared machine.
    this.timeout(30_000);
    let api: Awaited<ReturnType<typeof startApi>>;
    const refusals: AccessRequest[] = [];
    before(async () => {
      api = await startApi({
        ...fullDeps(),
        access: {
          check: async (_principal, asked) => {
            refusals.push(asked);
            throw new SlipwayError(asked.app ? 'app_not_found' : 'forbidden', 'refused by the test policy');
          },
        },
      });
    });
    after(() => api.close());

    it('refuses a caller without a token (401) or with a bad one (401), before any service', async () => {
      for (const route of routes.filter((r) => r.access !== 'public')) {
        for (const token of [null, 'not-a-token']) {
          const answer = await request(`${api.url}${concretePath(route)}`, { method: route.method.toUpperCase(), token, ...(route.body ? { body: JSON.stringify(plausibleBody(route)) } : {}) });
          expect(answer.status, `${route.method} ${route.path} with ${token}`).to.equal(401);
        }
      }
    }).timeout(30_000);

    it('asks the policy before any service, and answers its refusal', async () => {
      for (const route of routes.filter((r) => r.access !== 'public')) {
        refusals.length = 0;
        const answer = await request(`${api.url}${concretePath(route)}`, { method: route.method.toUpperCase(), token: API_TOKEN, ...(route.body ? { body: JSON.stringify(plausibleBody(route)) } : {}) });
        const label = `${route.method} ${route.path}`;
        expect(refusals, label).to.have.length(1);
        expect(answer.status, label).to.equal(refusals[0]?.app ? 404 : 403);
      }
    }).timeout(30_000);

    it('serves the OpenAPI document without credentials', async () => {
      const answer = await request(`${api.url}/openapi.json`, { token: null });
      expect(answer.status).to.equal(200);
      expect(answer.body).to.have.property('openapi', '3.1.0');
    });
  });
});

/**
 * The matrix (issue 11): every route × every kind of caller → the status the policy must give,
 * with the real policy over the facts of one app `shop` in team `blue`. The expectations below are
 * written out by hand from Heroku's permission model, not computed by the policy under test.
 */
describe('api/route-table: the access matrix (every route × every kind of caller)', function () {
  this.timeout(120_000);

  type Who = 'platform-admin' | 'team-admin' | 'member' | 'viewer' | 'collab-view' | 'collab-deploy' | 'collab-operate' | 'collab-manage'
    | 'other-team' | 'read-token' | 'expired' | 'revoked' | 'none';
  const callers: Who[] = ['platform-admin', 'team-admin', 'member', 'viewer', 'collab-view', 'collab-deploy', 'collab-operate',
    'collab-manage', 'other-team', 'read-token', 'expired', 'revoked', 'none'];
  const role: Partial<Record<Who, 'admin' | 'member' | 'viewer'>> = { 'team-admin': 'admin', member: 'member', viewer: 'viewer', 'read-token': 'admin' };
  const collaborator: Partial<Record<Who, AppPermission[]>> = {
    'collab-view': ['view'], 'collab-deploy': ['deploy'], 'collab-operate': ['operate'], 'collab-manage': ['manage'],
  };

  /** What each caller may do, per action: pass, 403 or 404 (Heroku's model, docs/security.md). */
  function expected(action: string, who: Who, method: string): 'pass' | 401 | 403 | 404 {
    if (who === 'expired' || who === 'revoked' || who === 'none') return 401;
    const writes = !['app:view', 'team:view', 'account', 'platform:read'].includes(action);
    if (who === 'read-token' && writes) return 403; // a read token, whatever its user may do
    if (who === 'platform-admin') return 'pass';
    const held = new Set<string>(collaborator[who] ?? []);
    if (role[who] === 'admin') ['view', 'deploy', 'operate', 'manage'].forEach((p) => held.add(p));
    if (role[who] === 'member') ['view', 'deploy', 'operate'].forEach((p) => held.add(p));
    if (role[who] === 'viewer') held.add('view');
    if (held.size > 0) held.add('view');
    switch (action) {
      case 'app:view': return held.has('view') ? 'pass' : 404;
      case 'app:config:read': return !held.has('view') ? 404 : ['deploy', 'operate', 'manage'].some((p) => held.has(p)) ? 'pass' : 403;
      case 'app:deploy': case 'app:operate': case 'app:manage':
        return !held.has('view') ? 404 : held.has(action.slice(4)) ? 'pass' : 403;
      case 'team:view': return role[who] ? 'pass' : 404;
      case 'team:create-app': return !role[who] ? 404 : role[who] === 'viewer' ? 403 : 'pass';
      case 'team:manage': return !role[who] ? 404 : role[who] === 'admin' ? 'pass' : 403;
      case 'platform:admin': return 403;
      default: void method; return 'pass'; // account, account:credentials, platform:read
    }
  }

  const principals: Record<string, Principal> = {};
  for (const [n, who] of callers.entries()) {
    principals[`token-${who}`] = {
      kind: 'user', userId: n + 1, userName: who, platformAdmin: who === 'platform-admin',
      scope: who === 'read-token' ? 'read' : 'admin', via: 'token', credential: String(n + 1),
    };
  }
  const whoOf = (principal: Principal): Who => (principal.kind === 'user' ? principal.userName as Who : 'platform-admin');

  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => {
    api = await startApi({
      ...fullDeps(),
      authenticate: async (req) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token) return null;
        if (token === 'token-expired') throw new SlipwayError('token_expired', 'expired');
        if (token === 'token-revoked') throw new SlipwayError('token_revoked', 'revoked');
        return principals[token] ?? null;
      },
      access: {
        check: async (principal, asked) => {
          const who = whoOf(principal);
          const facts: AccessFacts = {};
          if (asked.action.startsWith('app:')) {
            facts.app = asked.app === 'shop' ? { team: 'blue', role: role[who] ?? null, memberPermissions: ['view', 'deploy', 'operate'], collaborator: collaborator[who] ?? [] } : null;
          }
          // Each caller's personal team has its name, and they are its admin.
          if (asked.team !== undefined) facts.team = asked.team === who ? { role: 'admin' } : asked.team === 'blue' ? (role[who] ? { role: role[who]! } : null) : null;
          const decision = authorize(principal, asked, facts);
          if (!decision.allowed) throw refusalError(decision);
        },
      },
    });
  });
  after(() => api.close());

  it('answers every route as the permission model says, for every kind of caller', async () => {
    const failures: string[] = [];
    for (const route of routes().filter((r) => r.access !== 'public')) {
      // The caller's personal team is its name: POST /apps without a team goes there (admin of it).
      for (const who of callers) {
        const path = route.path.replace(/:([a-z]+)/gi, (_m, name: string) => (name === 'app' ? 'shop' : name === 'team' ? 'blue' : name === 'version' ? '3' : name === 'index' || name === 'id' ? '1' : 'x'));
        const body = route.body ? plausibleBody(route) as Record<string, unknown> : undefined;
        const asked = (route.access as (i: unknown, p: Principal) => AccessRequest)({ params: { app: 'shop', team: 'blue' }, query: {}, body: body ?? {} }, principals[`token-${who}`]!);
        let want = expected(asked.action, who, route.method);
        // A personal team (POST /apps without a team) is its user's own: they are its admin.
        if (asked.team === who && who !== 'expired' && who !== 'revoked' && who !== 'none') want = who === 'read-token' ? 403 : 'pass';
        const token = who === 'none' ? null : `token-${who}`;
        const answer = await request(`${api.url}${path}`, { method: route.method.toUpperCase(), token, ...(body ? { body: JSON.stringify(body) } : {}) });
        const passed = ![401, 403, 404].includes(answer.status);
        if (want === 'pass' ? !passed : answer.status !== want) failures.push(`${route.method} ${route.path} as ${who}: ${answer.status}, want ${want}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });
});
