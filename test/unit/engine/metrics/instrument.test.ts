import { expect } from 'chai';
import { countRejections, meterBuildRecords, meterPasses, timeCalls } from '../../../../engine/metrics/instrument';
import { PlatformMetrics } from '../../../../engine/metrics/platform-metrics';

describe('measuring services from the composition root', () => {
  it('times a method\'s calls by outcome and passes results and errors on unchanged', async () => {
    const seen: string[] = [];
    const deployer = {
      calls: 0,
      async deploy(fail: boolean): Promise<string> {
        this.calls += 1;
        if (fail) throw new Error('rollout failed');
        return 'live';
      },
    };
    timeCalls(deployer, 'deploy', (outcome, seconds) => seen.push(`${outcome}:${seconds >= 0}`));
    expect(await deployer.deploy(false)).to.equal('live');
    const error = await deployer.deploy(true).catch((e: Error) => e.message);
    expect(error).to.equal('rollout failed');
    expect(seen).to.deep.equal(['succeeded:true', 'failed:true']);
    expect(deployer.calls).to.equal(2);
  });

  it('counts each rejected call of an object by method, and nothing else', async () => {
    const failures: string[] = [];
    const publisher = countRejections({
      prefix: '/slipway',
      async publishBackend(): Promise<void> { throw new Error('etcd unavailable'); },
      async backendIds(): Promise<string[]> { return ['web.1']; },
      describe(): string { return this.prefix; },
    }, (method) => failures.push(method));
    expect(await publisher.backendIds()).to.deep.equal(['web.1']);
    expect(publisher.describe()).to.equal('/slipway');
    await publisher.publishBackend().catch(() => undefined);
    expect(failures).to.deep.equal(['publishBackend']);
  });

  it('counts a reconciler pass once, even when a caller joins a pass under way', async () => {
    let finish: () => void = () => undefined;
    let running: Promise<void> | null = null;
    const reconciler = {
      reconcileAll(): Promise<void> {
        running ??= new Promise<void>((resolve) => { finish = resolve; }).then(() => { running = null; });
        return running;
      },
    };
    const passes: number[] = [];
    meterPasses(reconciler, (seconds) => passes.push(seconds));
    const first = reconciler.reconcileAll();
    const joined = reconciler.reconcileAll();
    finish();
    await Promise.all([first, joined]);
    const third = reconciler.reconcileAll();
    finish();
    await third;
    await new Promise((resolve) => setImmediate(resolve));
    expect(passes).to.have.length(2);
  });

  it('counts finished builds by the status their record gets, with their duration', async () => {
    const metrics = new PlatformMetrics({ processMetrics: false });
    const builds = { async finish(_id: string, _result: { status: 'succeeded' | 'failed'; durationMs: number }): Promise<void> {} };
    meterBuildRecords(builds, (outcome, seconds) => metrics.build(outcome, seconds));
    await builds.finish('b1', { status: 'succeeded', durationMs: 42_000 });
    await builds.finish('b2', { status: 'failed', durationMs: 3_000 });
    await builds.finish('b3', { status: 'failed', durationMs: 1_000 });
    const text = await metrics.render();
    expect(text).to.match(/^slipway_builds_total\{outcome="succeeded"\} 1$/m);
    expect(text).to.match(/^slipway_builds_total\{outcome="failed"\} 2$/m);
    expect(text).to.match(/^slipway_build_duration_seconds_sum\{outcome="succeeded"\} 42$/m);
  });
});
