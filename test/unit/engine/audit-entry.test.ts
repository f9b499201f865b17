import { expect } from 'chai';
import { entryFor, matches, mayRead, safeDetail, type AuditEntry } from '../../../engine/audit-entry';
import { parsePermissions } from '../../../engine/teams-service';
import { SlipwayError } from '../../../lib/errors';
import { PLATFORM, type UserPrincipal } from '../../../engine/principal';

const alice: UserPrincipal = { kind: 'user', userId: 7, userName: 'alice', platformAdmin: false, scope: 'admin', via: 'token', credential: '12', address: '10.0.0.1' };
const AT = new Date('2026-01-02T03:04:05.678Z');

describe('engine/audit-entry', () => {
  it('records who (user, token id, address), what, where and the result from the principal', () => {
    const entry = entryFor({ principal: alice, action: 'config:set', app: 'shop', team: 'acme', detail: { keys: ['DATABASE_URL'] } }, AT);
    expect(entry).to.deep.equal({
      at: AT, userId: 7, userName: 'alice', via: 'token', credential: '12', address: '10.0.0.1',
      action: 'config:set', app: 'shop', team: 'acme', result: 'ok', detail: { keys: ['DATABASE_URL'] },
    });
  });

  it('records the platform as no user, via platform', () => {
    const entry = entryFor({ principal: PLATFORM, action: 'app:restart', app: 'shop', result: 'failed' }, AT);
    expect(entry).to.include({ userId: null, userName: null, via: 'platform', credential: null, address: null, result: 'failed' });
  });

  it('records a login attempt by the name given, bounded in length', () => {
    const entry = entryFor({ principal: { kind: 'anonymous', userName: 'x'.repeat(500), address: '10.0.0.2' }, action: 'login', result: 'refused' }, AT);
    expect(entry.via).to.equal('password');
    expect(entry.userName).to.have.length(64);
    expect(entry.userId).to.equal(null);
  });

  it('drops detail fields that could hold secrets, keeping config keys', () => {
    expect(safeDetail({ keys: ['SECRET_KEY', 'PASSWORD'], value: 'hunter2', values: ['x'], password: 'p', newPassword: 'p',
      clientSecret: 's', token: 't', privateKey: 'k', tokenId: 4, user: 'bob' }))
      .to.deep.equal({ keys: ['SECRET_KEY', 'PASSWORD'], tokenId: 4, user: 'bob' });
  });

  it('lets a platform admin read everything, a user their own actions and their admin teams\' entries', () => {
    const entry = (userId: number | null, team: string | null) => ({ userId, team });
    expect(mayRead(null, entry(1, 'x'))).to.equal(true);
    const reader = { userId: 7, adminTeams: ['acme'] };
    expect(mayRead(reader, entry(7, 'other'))).to.equal(true);
    expect(mayRead(reader, entry(8, 'acme'))).to.equal(true);
    expect(mayRead(reader, entry(8, 'other'))).to.equal(false);
    expect(mayRead(reader, entry(null, null))).to.equal(false);
  });

  it('filters entries by app, team, user and time', () => {
    const entry = { id: 1, ...entryFor({ principal: alice, action: 'x', app: 'shop', team: 'acme' }, AT) } as AuditEntry;
    expect(matches({}, entry)).to.equal(true);
    expect(matches({ app: 'shop', team: 'acme', userId: 7, since: AT }, entry)).to.equal(true);
    expect(matches({ app: 'blog' }, entry)).to.equal(false);
    expect(matches({ team: 'other' }, entry)).to.equal(false);
    expect(matches({ userId: 8 }, entry)).to.equal(false);
    expect(matches({ since: new Date(AT.getTime() + 1) }, entry)).to.equal(false);
  });
});

describe('engine/teams-service parsePermissions', () => {
  it('reads Heroku\'s permissions, always with view, in order, without repeats', () => {
    expect(parsePermissions('deploy,view,deploy')).to.deep.equal(['view', 'deploy']);
    expect(parsePermissions(['manage'])).to.deep.equal(['view', 'manage']);
    expect(parsePermissions(' operate , deploy ')).to.deep.equal(['view', 'deploy', 'operate']);
    expect(() => parsePermissions('view,root')).to.throw(SlipwayError, /"root" is not a permission/);
  });
});
