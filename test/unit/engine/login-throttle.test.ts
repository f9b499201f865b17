import { expect } from 'chai';
import { LoginThrottle, type ThrottlePolicy } from '../../../engine/login-throttle';

const POLICY: ThrottlePolicy = {
  freeFailuresPerUser: 3, freeFailuresPerAddress: 5, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 3_600_000, maxEntries: 1000,
};

function throttle(policy: ThrottlePolicy = POLICY): { t: LoginThrottle; advance(ms: number): void } {
  let now = 1_000_000;
  return { t: new LoginThrottle(policy, () => now), advance: (ms) => { now += ms; } };
}

describe('engine/login-throttle', () => {
  it('lets the first few failures through, then makes each further one wait twice as long', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 3; i++) {
      expect(t.check('alice', '10.0.0.1').allowed).to.equal(true);
      t.failure('alice', '10.0.0.1');
    }
    expect(t.check('alice', '10.0.0.1').allowed).to.equal(true);
    t.failure('alice', '10.0.0.1'); // 4th: 1 s
    let decision = t.check('alice', '10.0.0.1');
    expect(decision).to.deep.include({ allowed: false, retryAfterSeconds: 1 });
    advance(1000);
    expect(t.check('alice', '10.0.0.1').allowed).to.equal(true);
    t.failure('alice', '10.0.0.1'); // 5th: 2 s
    decision = t.check('alice', '10.0.0.1');
    expect(decision).to.deep.include({ allowed: false, retryAfterSeconds: 2 });
    if (!decision.allowed) expect(decision.retryAt.getTime()).to.equal(1_000_000 + 1000 + 2000);
  });

  it('throttles the user from any address (per user)', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) t.failure('alice', `10.0.0.${i}`);
    expect(t.check('alice', '192.168.1.1').allowed).to.equal(false);
    expect(t.check('bob', '192.168.1.1').allowed).to.equal(true);
  });

  it('throttles an address trying many users (per address)', () => {
    const { t } = throttle();
    for (let i = 0; i < 6; i++) t.failure(`user${i}`, '10.0.0.9');
    expect(t.check('someone-else', '10.0.0.9').allowed).to.equal(false);
    expect(t.check('someone-else', '10.0.0.10').allowed).to.equal(true);
  });

  it('clears the user\'s count on success, but not the address\'s', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.failure('alice', '10.0.0.1');
    t.success('alice');
    t.failure('alice', '10.0.0.1');
    expect(t.check('alice', '10.0.0.2').allowed).to.equal(true);
    for (let i = 0; i < 2; i++) t.failure('mallory', '10.0.0.1');
    t.success('mallory');
    // The address has 6 failures now: its own success did not clear them.
    expect(t.check('victim', '10.0.0.1').allowed).to.equal(false);
  });

  it('caps the wait, and forgets a count after a quiet period', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 30; i++) t.failure('alice', null);
    const decision = t.check('alice', null);
    expect(decision.allowed).to.equal(false);
    if (!decision.allowed) expect(decision.retryAfterSeconds).to.equal(60);
    advance(3_600_000);
    expect(t.check('alice', null).allowed).to.equal(true);
    t.failure('alice', null);
    expect(t.check('alice', null).allowed).to.equal(true); // the count started again
  });

  it('counts user names case-insensitively', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) t.failure(i % 2 ? 'Alice' : 'alice', null);
    expect(t.check('ALICE', null).allowed).to.equal(false);
  });

  it('keeps at most maxEntries counts, dropping the oldest', () => {
    const { t } = throttle({ ...POLICY, freeFailuresPerUser: 0, maxEntries: 10 });
    t.failure('first', null);
    expect(t.check('first', null).allowed).to.equal(false);
    for (let i = 0; i < 20; i++) t.failure(`flood${i}`, null);
    expect(t.check('first', null).allowed).to.equal(true);
    expect(t.check('flood19', null).allowed).to.equal(false);
  });
});
