/** The volumes each instance of a release gets (engine/deployer.ts instanceSpecs). */
import { expect } from 'chai';
import { instanceSpecs } from '../../../../engine/deployer';
import { DEFAULT_SIZE, type Build, type Release } from '../../../../engine/model';

const release = { id: 1, appId: 1, version: 4, buildId: 'b1', config: {}, description: '', status: 'pending', failureReason: null, createdAt: new Date(0) } as Release;
const build = { id: 'b1', appId: 1, status: 'succeeded', commit: 'c', image: 'img', digest: null, processTypes: { web: 'a', worker: 'b' },
  log: '', durationMs: 1, appJson: null, createdAt: new Date(0) } as Build;

describe('engine/deployer instanceSpecs with volume mounts', () => {
  it('gives every instance of a type that type\'s volumes, the same ones for each (shared), and none to other types', () => {
    const specs = instanceSpecs({
      app: 'shop', release, build,
      formation: [{ type: 'web', quantity: 2, ...DEFAULT_SIZE }, { type: 'worker', quantity: 1, ...DEFAULT_SIZE }],
      mounts: [{ processType: 'web', path: '/data', volume: 'v-web' }, { processType: 'clock', path: '/x', volume: 'v-clock' }],
    }, 5000);
    expect(specs.map((s) => [s.env.DYNO, s.mounts])).to.deep.equal([
      ['web.1', [{ volume: 'v-web', path: '/data' }]],
      ['web.2', [{ volume: 'v-web', path: '/data' }]],
      ['worker.1', undefined],
    ]);
  });
});
