import { expect } from 'chai';
import { planReconcile } from '../../../engine/reconciler';
import type { Instance, InstanceSpec, InstanceState } from '../../../engine/runtime-driver';

function spec(process: string, n: number, release = 3): InstanceSpec {
  return {
    app: 'shop', release, process, image: 'registry/shop@sha256:abc', command: process === 'web' ? 'npm start' : `node ${process}.js`,
    env: { SLIPWAY_RELEASE: `v${release}`, DYNO: `${process}.${n}` }, port: 5000, memoryMb: 512, cpu: 0.5,
  };
}

function instance(id: string, process: string, release: number, state: InstanceState = 'running'): Instance {
  return {
    id, app: 'shop', release, process, state, url: process === 'web' ? `http://127.0.0.1:3${id.length}000` : null,
    startedAt: new Date(0), restartCount: 0, memoryMb: 512, cpu: 0.5,
  };
}

const ids = (instances: readonly Instance[]): string[] => instances.map((i) => i.id).sort();
const dynos = (specs: readonly InstanceSpec[]): string[] => specs.map((s) => s.env.DYNO!);

describe('engine/reconciler planReconcile', () => {
  it('changes nothing when the instances match the formation', () => {
    const plan = planReconcile([spec('web', 1), spec('web', 2), spec('worker', 1)],
      [instance('a', 'web', 3), instance('b', 'web', 3), instance('c', 'worker', 3)], 3);
    expect(plan).to.deep.equal({ start: [], retire: [] });
  });

  it('starts every instance of a formation that has none', () => {
    const desired = [spec('web', 1), spec('web', 2), spec('worker', 1)];
    const plan = planReconcile(desired, [], 3);
    expect(plan.start).to.deep.equal(desired);
    expect(plan.retire).to.deep.equal([]);
  });

  it('starts only the missing instances when scaled up or after one was removed by hand', () => {
    const plan = planReconcile([spec('web', 1), spec('web', 2), spec('web', 3)], [instance('a', 'web', 3)], 3);
    expect(dynos(plan.start)).to.deep.equal(['web.2', 'web.3']);
    expect(plan.retire).to.deep.equal([]);
  });

  it('retires the extra instances when scaled down', () => {
    const plan = planReconcile([spec('web', 1)], [instance('a', 'web', 3), instance('b', 'web', 3), instance('c', 'web', 3)], 3);
    expect(plan.start).to.deep.equal([]);
    expect(plan.retire).to.have.length(2);
    expect(ids(plan.retire)).to.have.members(['b', 'c']);
  });

  it('retires every instance of a type scaled to 0 or no longer in the formation', () => {
    const plan = planReconcile([spec('web', 1)], [instance('a', 'web', 3), instance('w1', 'worker', 3), instance('w2', 'worker', 3), instance('k', 'clock', 3)], 3);
    expect(plan.start).to.deep.equal([]);
    expect(ids(plan.retire)).to.deep.equal(['k', 'w1', 'w2']);
  });

  it('retires instances of any other release and starts the current release in their place', () => {
    // A deploy cut short by a crash left v4's instances beside v3's; v2's stayed after a failed retire.
    const actual = [instance('old', 'web', 2), instance('cur', 'web', 3), instance('new', 'web', 4)];
    const plan = planReconcile([spec('web', 1), spec('web', 2)], actual, 3);
    expect(ids(plan.retire)).to.deep.equal(['new', 'old']);
    expect(dynos(plan.start)).to.deep.equal(['web.2']);
  });

  it('replaces an exited instance', () => {
    const plan = planReconcile([spec('web', 1), spec('web', 2)], [instance('gone', 'web', 3, 'exited'), instance('up', 'web', 3)], 3);
    expect(ids(plan.retire)).to.deep.equal(['gone']);
    expect(dynos(plan.start)).to.deep.equal(['web.2']);
  });

  it('leaves a crashed instance to the runtime\'s restarts instead of replacing it', () => {
    const plan = planReconcile([spec('web', 1), spec('worker', 1)], [instance('c', 'web', 3, 'crashed'), instance('w', 'worker', 3, 'crashed')], 3);
    expect(plan).to.deep.equal({ start: [], retire: [] });
  });

  it('counts an instance that is still starting as present', () => {
    const plan = planReconcile([spec('web', 1)], [instance('s', 'web', 3, 'starting')], 3);
    expect(plan).to.deep.equal({ start: [], retire: [] });
  });

  it('retires everything of an app that has no current release (or nothing to run)', () => {
    const actual = [instance('a', 'web', 1), instance('b', 'worker', 1)];
    expect(ids(planReconcile([], actual, null).retire)).to.deep.equal(['a', 'b']);
    expect(planReconcile([], actual, null).start).to.deep.equal([]);
    expect(ids(planReconcile([], actual, 1).retire)).to.deep.equal(['a', 'b']);
  });

  it('does nothing for an app with nothing desired and nothing running', () => {
    expect(planReconcile([], [], null)).to.deep.equal({ start: [], retire: [] });
  });

  it('retires each instance once, even when several reasons apply', () => {
    const actual = [instance('x', 'worker', 2, 'exited'), instance('y', 'web', 3, 'exited'), instance('z', 'web', 3)];
    const plan = planReconcile([spec('web', 1)], actual, 3);
    expect(ids(plan.retire)).to.deep.equal(['x', 'y']);
    expect(plan.start).to.deep.equal([]);
  });

  it('does not change its inputs', () => {
    const desired = [spec('web', 1), spec('web', 2)];
    const actual = [instance('b', 'web', 3, 'exited'), instance('a', 'web', 3)];
    const before = JSON.stringify({ desired, actual });
    planReconcile(desired, actual, 3);
    expect(JSON.stringify({ desired, actual })).to.equal(before);
  });
});
