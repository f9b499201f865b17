import { expect } from 'chai';
import { AppLocks } from '../../../lib/app-locks';

/** Lets every promise reaction that can run now run (one macrotask turn); no timer involved. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('lib/app-locks AppLocks', () => {
  it('makes a second push to the same app wait until the first releases the lock', async () => {
    const locks = new AppLocks();
    const events: string[] = [];
    const releaseFirst = await locks.acquire('shop');
    events.push('first acquired');

    const second = locks.acquire('shop').then((release) => {
      events.push('second acquired');
      return release;
    });
    await settle();
    expect(events).to.deep.equal(['first acquired']);
    expect(locks.isLocked('shop')).to.equal(true);

    events.push('first released');
    releaseFirst();
    const releaseSecond = await second;
    expect(events).to.deep.equal(['first acquired', 'first released', 'second acquired']);
    expect(locks.isLocked('shop')).to.equal(true);

    releaseSecond();
    expect(locks.isLocked('shop')).to.equal(false);
  });

  it('does not make pushes to different apps wait for each other', async () => {
    const locks = new AppLocks();
    const releaseShop = await locks.acquire('shop');
    const outcome = await Promise.race([
      locks.acquire('blog').then((release) => ({ acquired: true, release })),
      settle().then(() => ({ acquired: false, release: () => undefined })),
    ]);
    expect(outcome.acquired).to.equal(true);
    expect(locks.isLocked('shop')).to.equal(true);
    expect(locks.isLocked('blog')).to.equal(true);
    outcome.release();
    releaseShop();
    expect(locks.isLocked('shop')).to.equal(false);
    expect(locks.isLocked('blog')).to.equal(false);
  });

  it('hands the lock to waiting pushes one at a time, in arrival order', async () => {
    const locks = new AppLocks();
    const order: string[] = [];
    const releaseA = await locks.acquire('shop');
    const b = locks.acquire('shop').then((release) => { order.push('b'); return release; });
    const c = locks.acquire('shop').then((release) => { order.push('c'); return release; });

    releaseA();
    const releaseB = await b;
    await settle();
    expect(order).to.deep.equal(['b']); // c still waits for b

    releaseB();
    const releaseC = await c;
    expect(order).to.deep.equal(['b', 'c']);
    releaseC();
    expect(locks.isLocked('shop')).to.equal(false);
  });

  it('is free before anyone took it and can be taken again after release', async () => {
    const locks = new AppLocks();
    expect(locks.isLocked('shop')).to.equal(false);
    (await locks.acquire('shop'))();
    const again = await Promise.race([
      locks.acquire('shop').then(() => 'acquired'),
      settle().then(() => 'blocked'),
    ]);
    expect(again).to.equal('acquired');
  });
});
