import { expect } from 'chai';
import { ConsoleSessions, hashSessionSecret, SESSION_IDLE_MS, SESSION_LIFETIME_MS } from '../../../engine/console-sessions';
import { FakeClock, MemorySessionStore } from '../../support/console-fakes';

describe('engine/console-sessions', () => {
  let store: MemorySessionStore;
  let clock: FakeClock;
  let sessions: ConsoleSessions;

  beforeEach(() => {
    store = new MemorySessionStore({ 7: 'ada' });
    clock = new FakeClock();
    sessions = new ConsoleSessions(store, clock.now);
  });

  it('stores only a hash of the secret, and resolves the secret to its user and CSRF token', async () => {
    const started = await sessions.start(7, '127.0.0.1');
    expect([...store.rows.keys()]).to.deep.equal([hashSessionSecret(started.secret)]);
    expect(JSON.stringify([...store.rows.values()])).to.not.include(started.secret);
    const session = await sessions.resolve(started.secret);
    expect(session).to.include({ userId: 7, userName: 'ada', csrfToken: started.csrfToken });
    expect(started.csrfToken).to.not.equal(started.secret);
  });

  it('refuses an unknown or malformed secret', async () => {
    await sessions.start(7, '127.0.0.1');
    expect(await sessions.resolve('A'.repeat(43))).to.equal(null);
    expect(await sessions.resolve('short')).to.equal(null);
  });

  it('ends a session 12 hours after sign-in, even when it is used all the time', async () => {
    const { secret } = await sessions.start(7, '127.0.0.1');
    const step = 30 * 60_000;
    for (let used = step; used < SESSION_LIFETIME_MS; used += step) {
      clock.advance(step);
      expect(await sessions.resolve(secret), `after ${used} ms`).to.not.equal(null);
    }
    clock.advance(step); // 12 hours since sign-in
    expect(await sessions.resolve(secret)).to.equal(null);
    expect(store.rows.size).to.equal(0);
  });

  it('ends a session unused for 2 hours', async () => {
    const { secret } = await sessions.start(7, '127.0.0.1');
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(await sessions.resolve(secret)).to.not.equal(null);
    clock.advance(SESSION_IDLE_MS);
    expect(await sessions.resolve(secret)).to.equal(null);
  });

  it('ends the sessions of a user who is disabled, at once', async () => {
    const { secret } = await sessions.start(7, '127.0.0.1');
    store.disabled.add(7);
    expect(await sessions.resolve(secret)).to.equal(null);
    store.disabled.delete(7);
    expect(await sessions.resolve(secret), 'enabling again does not bring the session back').to.equal(null);
  });

  it('ends a session whose login token was revoked (a password change or reset, tokens:revoke), and no other', async () => {
    const { secret } = await sessions.start(7, '127.0.0.1', 40);
    const other = await sessions.start(7, '127.0.0.1', 41);
    store.revokedTokens.add(40);
    expect(await sessions.resolve(secret)).to.equal(null);
    expect(await sessions.resolve(other.secret)).to.include({ tokenId: 41 });
  });

  it('ends a session at sign-out', async () => {
    const { secret } = await sessions.start(7, '127.0.0.1');
    await sessions.end(secret);
    expect(await sessions.resolve(secret)).to.equal(null);
  });

  it('forgets ended sessions of others when someone signs in', async () => {
    await sessions.start(7, '127.0.0.1');
    clock.advance(SESSION_LIFETIME_MS + 1);
    await sessions.start(7, '127.0.0.1');
    expect(store.rows.size).to.equal(1);
  });
});
