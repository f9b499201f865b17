import { expect } from 'chai';
import { MAX_PIDS, MIN_PIDS, pidsLimitFor } from '../../../engine/pids-limit';

describe('engine/pids-limit pidsLimitFor', () => {
  it('gives Heroku\'s numbers for its sizes: 256 for 512 MB, 512 for 1 GB', () => {
    expect(pidsLimitFor(512)).to.equal(256);
    expect(pidsLimitFor(1024)).to.equal(512);
    expect(pidsLimitFor(8192)).to.equal(4096);
  });

  it('never goes below the floor nor above the ceiling, whatever the size', () => {
    expect(pidsLimitFor(16)).to.equal(MIN_PIDS);
    expect(pidsLimitFor(0)).to.equal(MIN_PIDS);
    expect(pidsLimitFor(Number.NaN)).to.equal(MIN_PIDS);
    expect(pidsLimitFor(1_000_000)).to.equal(MAX_PIDS);
  });
});
