import { expect } from 'chai';
import { RateLimiter } from '../../../../engine/logs/rate-limit';

describe('engine/logs/rate-limit', () => {
  it('lets a second\'s worth through, counts the rest, and refills with time', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take(), limiter.take()]).to.deep.equal([true, true, true, false, false]);
    expect(limiter.takeDropped()).to.equal(2);
    expect(limiter.takeDropped()).to.equal(0);
    now = 1000;
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).to.deep.equal([true, true, true, false]);
  });
});
