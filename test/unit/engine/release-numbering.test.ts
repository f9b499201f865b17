import { expect } from 'chai';
import { deployDescription, DEFAULT_FORMATION } from '../../../engine/model';
import { nextVersion } from '../../../engine/store/releases-repo';

describe('engine release numbering and model defaults', () => {
  it('numbers the first release of an app v1', () => {
    expect(nextVersion(null)).to.equal(1);
    expect(nextVersion(undefined)).to.equal(1);
  });

  it('numbers each next release one above the highest so far', () => {
    expect(nextVersion(1)).to.equal(2);
    expect(nextVersion(41)).to.equal(42);
  });

  it('describes a deploy like Heroku, with the short commit', () => {
    expect(deployDescription('1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d')).to.equal('Deploy 1a2b3c4');
  });

  it('runs one web process by default', () => {
    expect(DEFAULT_FORMATION).to.deep.equal([{ type: 'web', quantity: 1, memoryMb: 512, cpu: 0.5 }]);
  });
});
