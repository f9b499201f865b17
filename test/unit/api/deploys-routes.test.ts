/**
 * The deploy timeline over the API: `GET /apps/:app/deploys` and the phases of
 * `GET /apps/:app/releases/:version` need `view`; a failure's explaining lines come from logs and
 * are given only to callers with `operate` (others get the reason and `lines: null`), and asking
 * is not audited as a refusal.
 */
import { expect } from 'chai';
import { authorize, type AccessChecker, type AccessRequest, type AppPermission, type Decision, type Principal } from '../../../engine/policy';
import { DeployTimeline } from '../../../engine/deploy-timeline';
import { SlipwayError } from '../../../lib/errors';
import { apiDeps, request, startApi } from '../../support/api';
import { FakeTimelineStore } from '../engine/fake-timeline-store';

const user = (name: string): Principal => ({ kind: 'user', userId: name.length, userName: name, platformAdmin: false, scope: 'admin', via: 'token', credential: name });

const PERMISSIONS: Record<string, readonly AppPermission[]> = { viewer: ['view'], operator: ['view', 'operate'], stranger: [] };
const APP = { id: 1, name: 'my-app', config: {}, currentRelease: 1, createdAt: new Date(0) };

describe('api: the deploy timeline (GET /apps/:app/deploys, releases/:version phases)', () => {
  let api: { url: string; close(): Promise<void> };
  const refusals: AccessRequest[] = [];

  before(async () => {
    const decide = async (principal: Principal, req: AccessRequest): Promise<Decision> => {
      const name = principal.kind === 'user' ? principal.userName : '';
      return authorize(principal, req, { app: req.app === 'my-app' ? { team: 't', role: null, memberPermissions: [], collaborator: PERMISSIONS[name] ?? [] } : null });
    };
    const access = {
      decide,
      async check(principal: Principal, req: AccessRequest) {
        const decision = await decide(principal, req);
        if (!decision.allowed) {
          refusals.push(req);
          throw new SlipwayError(decision.reason === 'forbidden' ? 'forbidden' : 'app_not_found', decision.message);
        }
      },
    } as AccessChecker;
    const store = new FakeTimelineStore();
    const timeline = new DeployTimeline({ store, announce: () => {}, logger: { warn() {} } });
    const run = await timeline.begin({ app: APP, kind: 'push', commit: 'a'.repeat(40) });
    run.start('receive');
    run.ok('receive');
    run.attachRelease(1);
    run.start('build', 'buildpacks');
    run.fail('build', 'npm install failed', ['npm ERR! 404 left-pad is not in the registry']);
    run.failed(new Error('npm install failed'));
    await run.flush();
    api = await startApi(apiDeps({
      apps: { get: async () => APP } as never,
      releases: { info: async () => ({ app: APP, release: { id: 1, appId: 1, version: 1, buildId: null, config: {}, description: 'Deploy aaaaaaa', status: 'failed', failureReason: 'npm install failed', createdAt: new Date(0) }, build: null, configKeys: [] }) } as never,
      timeline,
      authenticate: async (req) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        return token && token in PERMISSIONS ? user(token) : null;
      },
      access,
    }));
  });
  after(async () => { await api.close(); });

  it('gives an operator every phase in order, with the failure\'s reason and lines', async () => {
    const answer = await request(`${api.url}/apps/my-app/deploys`, { token: 'operator' });
    expect(answer.status).to.equal(200);
    const [deploy] = answer.body as { status: string; phases: { name: string; outcome: string; reason: string | null; lines: string[] | null; durationMs: number | null }[] }[];
    expect(deploy!.status).to.equal('failed');
    expect(deploy!.phases.map((p) => `${p.name}:${p.outcome}`)).to.deep.equal(['receive:ok', 'build:failed', 'push:pending', 'release-phase:pending',
      'start:pending', 'checks:pending', 'routed:pending', 'drained:pending']);
    expect(deploy!.phases[1]).to.include({ reason: 'npm install failed' });
    expect(deploy!.phases[1]!.lines).to.deep.equal(['npm ERR! 404 left-pad is not in the registry']);
  });

  it('gives a viewer the reason without the log lines, and audits no refusal for asking', async () => {
    const answer = await request(`${api.url}/apps/my-app/deploys`, { token: 'viewer' });
    expect(answer.status).to.equal(200);
    const build = (answer.body as { phases: { name: string; reason: string | null; lines: string[] | null }[] }[])[0]!.phases[1]!;
    expect(build).to.include({ reason: 'npm install failed', lines: null });
    expect(JSON.stringify(answer.body)).not.to.contain('left-pad');
    expect(refusals).to.deep.equal([]);
  });

  it('puts the phases on the release, with the same rule for the lines', async () => {
    const operator = await request(`${api.url}/apps/my-app/releases/v1`, { token: 'operator' });
    expect(operator.status).to.equal(200);
    expect((operator.body as { phases: { lines: string[] | null }[] }).phases[1]!.lines).to.have.length(1);
    const viewer = await request(`${api.url}/apps/my-app/releases/v1`, { token: 'viewer' });
    expect((viewer.body as { phases: { lines: string[] | null }[] }).phases[1]!.lines).to.equal(null);
  });

  it('refuses a caller who cannot view the app (404) and one without credentials (401)', async () => {
    expect((await request(`${api.url}/apps/my-app/deploys`, { token: 'stranger' })).status).to.equal(404);
    expect((await request(`${api.url}/apps/my-app/deploys`, { token: null })).status).to.equal(401);
  });
});
