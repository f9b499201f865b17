import { expect } from 'chai';
import { silentLogger } from '../../../../lib/log';
import { ContainerExporter } from '../../../../engine/metrics/container-exporter';
import { identityFromLabels, sampleOf, type ContainerSample, type DockerStats } from '../../../../engine/metrics/container-sample';
import { ContainerSampler, type ContainerSampleSource } from '../../../../engine/metrics/container-sampler';

const labels = { 'slipway.app': 'shop', 'slipway.process': 'web', 'slipway.instance': 'shop.web.1a2b3c4d', 'slipway.platform': 'p1', 'slipway.release': '3' };

/** A cgroup v1 stats answer as Docker 20.10 gives it (one-shot: no precpu reading), trimmed. */
const v1Stats: DockerStats = {
  cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
  memory_stats: { usage: 90_000_000, limit: 8_000_000_000, stats: { rss: 40_000_000, total_rss: 41_000_000, cache: 45_000_000 } },
};

function exposition(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

class FakeSource implements ContainerSampleSource {
  calls = 0;
  failWith: Error | null = null;
  constructor(public samples: ContainerSample[]) {}
  async sampleAll(): Promise<ContainerSample[]> {
    this.calls += 1;
    if (this.failWith) throw this.failWith;
    return this.samples;
  }
}

describe('container exporter', () => {
  describe('mapping Docker answers to samples', () => {
    it('reads app, process type and instance from the driver\'s labels, and nothing else', () => {
      expect(identityFromLabels(labels)).to.deep.equal({ app: 'shop', processType: 'web', instanceId: 'shop.web.1a2b3c4d' });
      expect(identityFromLabels({ 'slipway.app': 'shop' })).to.equal(null);
      expect(identityFromLabels(undefined)).to.equal(null);
    });

    it('reports CPU in seconds, resident memory without page cache, the configured limit and restarts (cgroup v1)', () => {
      const identity = identityFromLabels(labels)!;
      const sample = sampleOf(identity, { restartCount: 2, memoryLimitBytes: 512 * 1024 * 1024 }, v1Stats);
      expect(sample).to.deep.equal({
        app: 'shop', processType: 'web', instanceId: 'shop.web.1a2b3c4d',
        cpuSeconds: 2.5, memoryRssBytes: 41_000_000, memoryLimitBytes: 512 * 1024 * 1024, restarts: 2,
      });
    });

    it('reads cgroup v2\'s anon as resident memory', () => {
      const sample = sampleOf(identityFromLabels(labels)!, { restartCount: 0, memoryLimitBytes: 0 }, {
        cpu_stats: { cpu_usage: { total_usage: 1e9 } },
        memory_stats: { usage: 5e7, limit: 8e9, stats: { anon: 30_000_000, file: 20_000_000 } },
      });
      expect(sample.memoryRssBytes).to.equal(30_000_000);
      // No limit configured: none reported (Docker's figure would be the host's memory).
      expect(sample.memoryLimitBytes).to.equal(null);
    });

    it('reports a container restarting after a crash with its restarts but no CPU or memory', () => {
      const sample = sampleOf(identityFromLabels(labels)!, { restartCount: 5, memoryLimitBytes: 1024 }, null);
      expect(sample).to.include({ cpuSeconds: null, memoryRssBytes: null, memoryLimitBytes: 1024, restarts: 5 });
    });
  });

  describe('the exposition', () => {
    const web = sampleOf(identityFromLabels(labels)!, { restartCount: 1, memoryLimitBytes: 536_870_912 }, v1Stats);
    const worker: ContainerSample = { app: 'shop', processType: 'worker', instanceId: 'shop.worker.99', cpuSeconds: null, memoryRssBytes: null, memoryLimitBytes: 268_435_456, restarts: 7 };

    it('labels each instance by app, process type and instance id', async () => {
      const exporter = new ContainerExporter(new ContainerSampler(new FakeSource([web, worker])), silentLogger());
      const text = await exporter.render();
      const id = 'app="shop",process_type="web",instance_id="shop.web.1a2b3c4d"';
      expect(exposition(text, `slipway_container_cpu_seconds_total{${id}}`)).to.equal(2.5);
      expect(exposition(text, `slipway_container_memory_rss_bytes{${id}}`)).to.equal(41_000_000);
      expect(exposition(text, `slipway_container_memory_limit_bytes{${id}}`)).to.equal(536_870_912);
      expect(exposition(text, `slipway_container_restarts_total{${id}}`)).to.equal(1);
      const crashed = 'app="shop",process_type="worker",instance_id="shop.worker.99"';
      expect(exposition(text, `slipway_container_restarts_total{${crashed}}`)).to.equal(7);
      expect(exposition(text, `slipway_container_cpu_seconds_total{${crashed}}`)).to.equal(undefined);
      expect(exposition(text, 'slipway_container_instances')).to.equal(2);
      expect(text).to.match(/^# TYPE slipway_container_cpu_seconds_total counter$/m);
    });

    it('forgets instances that are gone: each scrape shows what runs now', async () => {
      const source = new FakeSource([web, worker]);
      let now = 0;
      const exporter = new ContainerExporter(new ContainerSampler(source, 5_000, () => now), silentLogger());
      await exporter.render();
      source.samples = [worker];
      now = 10_000;
      const text = await exporter.render();
      expect(text).not.to.include('shop.web.1a2b3c4d');
      expect(exposition(text, 'slipway_container_instances')).to.equal(1);
    });

    it('answers its own figures when Docker cannot be read, counting the failure', async () => {
      const source = new FakeSource([web]);
      source.failWith = new Error('connect ENOENT /var/run/docker.sock');
      const exporter = new ContainerExporter(new ContainerSampler(source), silentLogger());
      const text = await exporter.render();
      expect(exposition(text, 'slipway_container_sample_failures_total')).to.equal(1);
      expect(exposition(text, 'slipway_container_instances')).to.equal(0);
    });
  });

  describe('the sampler', () => {
    it('asks Docker at most once per interval, and concurrent scrapes share one reading', async () => {
      const source = new FakeSource([]);
      let now = 1_000;
      const sampler = new ContainerSampler(source, 5_000, () => now);
      await Promise.all([sampler.sample(), sampler.sample(), sampler.sample()]);
      expect(source.calls).to.equal(1);
      now += 4_999;
      await sampler.sample();
      expect(source.calls).to.equal(1);
      now += 1;
      await sampler.sample();
      expect(source.calls).to.equal(2);
    });

    it('tries again at the next scrape after a failure', async () => {
      const source = new FakeSource([]);
      source.failWith = new Error('down');
      const sampler = new ContainerSampler(source, 5_000, () => 0);
      await sampler.sample().catch(() => undefined);
      source.failWith = null;
      expect(await sampler.sample()).to.deep.equal([]);
      expect(source.calls).to.equal(2);
    });
  });
});
