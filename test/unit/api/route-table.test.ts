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
import { ACTIONS, type AccessRequest } from '../../../engine/policy';
import { API_TOKEN, apiDeps, request, startApi } from '../../support/api';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Every optional part of the API present, each one failing the test if reached. */
const untouchable = new Proxy({}, { get: (_t, name) => () => { throw new Error(`a service was called (${String(name)})`); } });
const fullDeps = () => apiDeps({
  run: { oneOffs: untouchable, attachTimeoutSeconds: 60 } as never,
  buildpacks: { buildpacks: untouchable, buildCaches: untouchable, appExists: untouchable, imageDeploys: untouchable } as never,
  domains: untouchable as never, registry: untouchable as never, maintenance: untouchable as never,
  killer: untouchable as never, status: untouchable as never,
});

/** A concrete URL for a route: parameters filled with plausible values. */
function concretePath(route: Route): string {
  return route.path.replace(/:([a-z]+)/gi, (_m, name: string) => (name === 'app' ? 'shop' : name === 'version' ? '3' : name === 'index' ? '1' : 'x'));
}

/** A body each route accepts, so refusals come from the policy and not from validation. */
function plausibleBody(route: Route): unknown {
  if (!route.body) return undefined;
  for (const candidate of [{}, { name: 'shop' }, { hostname: 'www.example.com' }, { maintenance: true }, { redirectHttps: true },
    { instance: 'web.1' }, { publicKey: 'ssh-ed25519 AAAA' }, { certificate: 'x', privateKey: 'y' }]) {
    if (route.body.safeParse(candidate).success) return candidate;
  }
  throw new Error(`no plausible body for ${route.method} ${route.path}`);
}

describe('api/route-table (every route, from the table)', function () {
  // Dozens of requests each: the shared 2-core machine can be slow.
  this.timeout(30_000);
  const routes = apiRoutes(fullDeps());

  it('declares an access rule naming a policy action for every route but the public ones', () => {
    const publicRoutes = routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`);
    expect(publicRoutes).to.have.members(['get /health', 'get /openapi.json']);
    for (const route of routes) {
      if (route.access === 'public') continue;
      const asked = route.access({ params: { app: 'shop', team: 't' }, query: {}, body: {} }) as AccessRequest;
      expect(ACTIONS, `${route.method} ${route.path}`).to.include(asked.action);
      if (route.path.includes(':app')) expect(asked.app, `${route.method} ${route.path} names its app`).to.equal('shop');
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

  describe('over HTTP', () => {
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
    });

    it('asks the policy before any service, and answers its refusal', async () => {
      for (const route of routes.filter((r) => r.access !== 'public')) {
        refusals.length = 0;
        const answer = await request(`${api.url}${concretePath(route)}`, { method: route.method.toUpperCase(), token: API_TOKEN, ...(route.body ? { body: JSON.stringify(plausibleBody(route)) } : {}) });
        const label = `${route.method} ${route.path}`;
        expect(refusals, label).to.have.length(1);
        expect(answer.status, label).to.equal(route.path.includes(':app') ? 404 : 403);
      }
    });

    it('serves the OpenAPI document without credentials', async () => {
      const answer = await request(`${api.url}/openapi.json`, { token: null });
      expect(answer.status).to.equal(200);
      expect(answer.body).to.have.property('openapi', '3.1.0');
    });
  });
});
