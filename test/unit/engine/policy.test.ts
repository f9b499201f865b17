import { expect } from 'chai';
import {
  APP_PERMISSIONS, PLATFORM, authorize, type AccessFacts, type AppFacts, type AppPermission, type TokenScope, type UserPrincipal,
} from '../../../engine/policy';

function user(overrides: Partial<UserPrincipal> = {}): UserPrincipal {
  return { kind: 'user', userId: 2, userName: 'ann', platformAdmin: false, scope: 'admin', via: 'token', credential: '7', ...overrides };
}

function appFacts(overrides: Partial<AppFacts> = {}): AccessFacts {
  return { app: { team: 'blue', role: null, memberPermissions: ['view', 'deploy', 'operate'], collaborator: [], ...overrides } };
}

const appAction = (permission: 'app:view' | 'app:config:read' | 'app:deploy' | 'app:operate' | 'app:manage') => ({ action: permission, app: 'shop' });

describe('engine/policy authorize', () => {
  it('lets the platform itself do anything', () => {
    expect(authorize(PLATFORM, { action: 'platform:admin' })).to.deep.equal({ allowed: true });
    expect(authorize(PLATFORM, appAction('app:manage'), { app: null })).to.deep.equal({ allowed: true });
  });

  it('gives a team admin all four permissions on every app of the team', () => {
    for (const action of ['app:view', 'app:config:read', 'app:deploy', 'app:operate', 'app:manage'] as const) {
      expect(authorize(user(), appAction(action), appFacts({ role: 'admin' })).allowed, action).to.equal(true);
    }
  });

  it('gives members the team default permissions and refuses the rest with 403 naming the permission', () => {
    const facts = appFacts({ role: 'member', memberPermissions: ['view', 'deploy'] });
    expect(authorize(user(), appAction('app:deploy'), facts).allowed).to.equal(true);
    const refusal = authorize(user(), appAction('app:manage'), facts);
    expect(refusal).to.include({ allowed: false, reason: 'forbidden', missing: 'manage' });
    expect(authorize(user(), appAction('app:operate'), facts)).to.include({ reason: 'forbidden', missing: 'operate' });
  });

  it('lets viewers view but never read config values', () => {
    const facts = appFacts({ role: 'viewer' });
    expect(authorize(user(), appAction('app:view'), facts).allowed).to.equal(true);
    expect(authorize(user(), appAction('app:config:read'), facts)).to.include({ reason: 'forbidden', missing: 'deploy or operate or manage' });
    expect(authorize(user(), appAction('app:deploy'), facts)).to.include({ reason: 'forbidden' });
  });

  it('gives collaborators exactly their permissions, and view with any of them', () => {
    for (const permission of APP_PERMISSIONS) {
      const facts = appFacts({ collaborator: [permission] });
      expect(authorize(user(), appAction('app:view'), facts).allowed).to.equal(true);
      for (const other of APP_PERMISSIONS.filter((p) => p !== 'view')) {
        expect(authorize(user(), appAction(`app:${other}` as 'app:deploy'), facts).allowed, `${permission} → ${other}`).to.equal(other === permission);
      }
    }
  });

  it('answers 404 to a user of another team, so the app\'s existence does not leak', () => {
    const refusal = authorize(user(), appAction('app:view'), appFacts());
    expect(refusal).to.include({ allowed: false, reason: 'unknown_app' });
    expect(authorize(user(), appAction('app:view'), { app: null })).to.deep.equal(refusal);
  });

  it('limits tokens to their scope, even for platform admins', () => {
    const facts = appFacts({ role: 'admin' });
    const cases: Array<[TokenScope, string, boolean]> = [
      ['read', 'app:view', true], ['read', 'app:config:read', false], ['read', 'app:deploy', false],
      ['deploy', 'app:deploy', true], ['deploy', 'app:operate', true], ['deploy', 'app:manage', false],
      ['deploy', 'account:credentials', false], ['admin', 'app:manage', true],
    ];
    for (const [scope, action, allowed] of cases) {
      expect(authorize(user({ scope }), { action: action as 'app:view', app: 'shop' }, facts).allowed, `${scope} ${action}`).to.equal(allowed);
      expect(authorize(user({ scope, platformAdmin: true }), { action: action as 'app:view', app: 'shop' }, facts).allowed).to.equal(allowed);
    }
    expect(authorize(user({ scope: 'read' }), appAction('app:deploy'), facts)).to.include({ missing: 'deploy scope' });
  });

  it('lets platform admins reach every app and administer the platform; nobody else', () => {
    expect(authorize(user({ platformAdmin: true }), appAction('app:manage'), appFacts()).allowed).to.equal(true);
    expect(authorize(user({ platformAdmin: true }), { action: 'platform:admin' }).allowed).to.equal(true);
    expect(authorize(user(), { action: 'platform:admin' })).to.include({ reason: 'forbidden', missing: 'platform admin' });
  });

  it('decides team actions by role: viewers view, members create apps, admins manage', () => {
    const as = (role: 'admin' | 'member' | 'viewer' | null, action: 'team:view' | 'team:create-app' | 'team:manage') =>
      authorize(user(), { action, team: 'blue' }, { team: role ? { role } : null }).allowed;
    expect([as('viewer', 'team:view'), as('viewer', 'team:create-app'), as('viewer', 'team:manage')]).to.deep.equal([true, false, false]);
    expect([as('member', 'team:view'), as('member', 'team:create-app'), as('member', 'team:manage')]).to.deep.equal([true, true, false]);
    expect([as('admin', 'team:view'), as('admin', 'team:create-app'), as('admin', 'team:manage')]).to.deep.equal([true, true, true]);
    expect(authorize(user(), { action: 'team:view', team: 'red' }, { team: null })).to.include({ reason: 'unknown_team' });
  });

  it('treats every permission list the same whatever its order', () => {
    const perms: AppPermission[] = ['manage', 'view'];
    expect(authorize(user(), appAction('app:manage'), appFacts({ collaborator: perms })).allowed).to.equal(true);
  });
});
