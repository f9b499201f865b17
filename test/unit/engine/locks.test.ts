import { expect } from 'chai';
import { acquireAll, InProcessLocks, LOCK_ORDER } from '../../../engine/locks';

/** Lets every promise reaction that can run now run (one macrotask turn); no timer involved. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('engine/locks InProcessLocks', () => {
  it('makes a second push to the same app wait until the first releases the lock', async () => {
    const locks = new InProcessLocks();
    const events: string[] = [];
    const releaseFirst = await locks.acquire('shop', 'push');
    events.push('first acquired');

    const second = locks.acquire('shop', 'push').then((release) => {
      events.push('second acquired');
      return release;
    });
    await settle();
    expect(events).to.deep.equal(['first acquired']);
    expect(locks.isLocked('shop', 'push')).to.equal(true);

    events.push('first released');
    releaseFirst();
    const releaseSecond = await second;
    expect(events).to.deep.equal(['first acquired', 'first released', 'second acquired']);
    expect(locks.isLocked('shop', 'push')).to.equal(true);

    releaseSecond();
    expect(locks.isLocked('shop', 'push')).to.equal(false);
  });

  it('does not make pushes to different apps wait for each other', async () => {
    const locks = new InProcessLocks();
    const releaseShop = await locks.acquire('shop', 'push');
    const outcome = await Promise.race([
      locks.acquire('blog', 'push').then((release) => ({ acquired: true, release })),
      settle().then(() => ({ acquired: false, release: () => undefined })),
    ]);
    expect(outcome.acquired).to.equal(true);
    expect(locks.isLocked('shop', 'push')).to.equal(true);
    expect(locks.isLocked('blog', 'push')).to.equal(true);
    outcome.release();
    releaseShop();
    expect(locks.isLocked('shop', 'push')).to.equal(false);
    expect(locks.isLocked('blog', 'push')).to.equal(false);
  });

  it('hands the lock to waiting pushes one at a time, in arrival order', async () => {
    const locks = new InProcessLocks();
    const order: string[] = [];
    const releaseA = await locks.acquire('shop', 'push');
    const b = locks.acquire('shop', 'push').then((release) => { order.push('b'); return release; });
    const c = locks.acquire('shop', 'push').then((release) => { order.push('c'); return release; });

    releaseA();
    const releaseB = await b;
    await settle();
    expect(order).to.deep.equal(['b']); // c still waits for b

    releaseB();
    const releaseC = await c;
    expect(order).to.deep.equal(['b', 'c']);
    releaseC();
    expect(locks.isLocked('shop', 'push')).to.equal(false);
  });

  it('is free before anyone took it and can be taken again after release', async () => {
    const locks = new InProcessLocks();
    expect(locks.isLocked('shop', 'push')).to.equal(false);
    (await locks.acquire('shop', 'push'))();
    const again = await Promise.race([
      locks.acquire('shop', 'push').then(() => 'acquired'),
      settle().then(() => 'blocked'),
    ]);
    expect(again).to.equal('acquired');
  });

  it('keeps scopes apart: a rollout does not wait for a push of the same app', async () => {
    const locks = new InProcessLocks();
    const releasePush = await locks.acquire('shop', 'push');
    const outcome = await Promise.race([
      locks.acquire('shop', 'deploy').then((release) => ({ acquired: true, release })),
      settle().then(() => ({ acquired: false, release: () => undefined })),
    ]);
    expect(outcome.acquired).to.equal(true);
    outcome.release();
    releasePush();
  });

  it('takes every scope of an app in the documented order (destroy), waiting for each holder', async () => {
    const locks = new InProcessLocks();
    expect(LOCK_ORDER).to.deep.equal(['push', 'release', 'domains', 'deploy']);
    const releaseRollout = await locks.acquire('shop', 'deploy');
    let all: (() => void) | null = null;
    const taking = acquireAll(locks, 'shop').then((release) => { all = release; });
    await settle();
    expect(all).to.equal(null); // the rollout still holds `deploy`
    expect(locks.isLocked('shop', 'push')).to.equal(true);
    releaseRollout();
    await taking;
    for (const scope of LOCK_ORDER) expect(locks.isLocked('shop', scope), scope).to.equal(true);
    all!();
    for (const scope of LOCK_ORDER) expect(locks.isLocked('shop', scope), scope).to.equal(false);
  });
});
