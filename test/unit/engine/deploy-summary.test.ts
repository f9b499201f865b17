import { expect } from 'chai';
import { deploySummary } from '../../../engine/deploy-summary';
import type { FormationEntry } from '../../../engine/model';

const entry = (type: string, quantity: number): FormationEntry => ({ type, quantity, memoryMb: 512, cpu: 0.5 });
const url = 'http://shop.slipway.localhost';

describe('engine/deploy-summary', () => {
  it('gives the URL when a web process runs, as before', () => {
    expect(deploySummary({ app: 'shop', url, formation: [entry('web', 2)], types: { web: 'node server.js' } }))
      .to.deep.equal([`${url} deployed to Slipway`]);
  });

  it('names the declared types that do not run beside the URL', () => {
    expect(deploySummary({ app: 'shop', url, formation: [entry('web', 1)], types: { web: 'a', worker: 'b' } })).to.deep.equal([
      `${url} deployed to Slipway`,
      'Not running (scaled to 0): worker. Start one with: slipway ps:scale shop worker=1',
    ]);
  });

  it('says which processes run and that no URL serves an app without a web process', () => {
    const lines = deploySummary({ app: 'jobs', url, formation: [entry('web', 1), entry('worker', 2)], types: { worker: 'node worker.js' } });
    expect(lines).to.deep.equal([
      'Deployed to Slipway: worker=2 running.',
      `No URL serves jobs: only a web process receives HTTP, and the Procfile declares none (add a "web:" line to serve ${url}).`,
    ]);
    expect(lines.join('\n')).to.not.include(`${url} deployed`);
  });

  it('says nothing runs when every declared type is scaled to 0, and how to start one', () => {
    expect(deploySummary({ app: 'jobs', url, formation: [entry('web', 1)], types: { worker: 'x', clock: 'y' } })).to.deep.equal([
      'Deployed to Slipway, but no process runs: worker, clock are scaled to 0.',
      `No URL serves jobs: only a web process receives HTTP, and the Procfile declares none (add a "web:" line to serve ${url}).`,
      'Start a process with: slipway ps:scale jobs worker=1',
    ]);
  });

  it('says how to serve the URL when web is declared but scaled to 0', () => {
    expect(deploySummary({ app: 'shop', url, formation: [entry('web', 0), entry('worker', 1)], types: { web: 'a', worker: 'b' } })).to.deep.equal([
      'Deployed to Slipway: worker=1 running.',
      `No URL serves shop: its web process is scaled to 0. Serve it at ${url} with: slipway ps:scale shop web=1`,
    ]);
  });
});
