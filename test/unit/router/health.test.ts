import { expect } from 'chai';
import { buildHealthReport } from '../../../router/health';
import type { RouteSourceStatus } from '../../../router/route-source';

function status(overrides: Partial<RouteSourceStatus>): RouteSourceStatus {
  return {
    revision: 42,
    connected: true,
    lastInSyncAt: 1_000,
    etcdRevision: 42,
    watchLagSeconds: 0,
    routesFrom: 'etcd',
    resyncs: 0,
    changesApplied: 0,
    keyCount: 7,
    lastResync: null,
    memoryPerKeyBytes: 350,
    ...overrides,
  };
}

describe('router/health', () => {
  const stats = { appCount: 2, hostCount: 3, backendCount: 4 };

  it('reports 0 stale seconds while following etcd', () => {
    const report = buildHealthReport(true, stats, status({}), 9_000);
    expect(report).to.deep.equal({
      ok: true,
      revision: 42,
      appCount: 2,
      hostCount: 3,
      backendCount: 4,
      etcdConnected: true,
      staleSeconds: 0,
      watchLagSeconds: 0,
      resyncs: 0,
      routesFrom: 'etcd',
      memoryPerRouteBytes: 350,
    });
  });

  it('counts the seconds since the table was last in sync once etcd is gone', () => {
    const report = buildHealthReport(true, stats, status({ connected: false }), 31_000);
    expect(report.ok).to.equal(true);
    expect(report.etcdConnected).to.equal(false);
    expect(report.staleSeconds).to.equal(30);
  });

  it('reports how far behind etcd the watch is, and how many resyncs happened', () => {
    const report = buildHealthReport(true, stats, status({ watchLagSeconds: 2.345, resyncs: 3 }), 9_000);
    expect(report.watchLagSeconds).to.equal(2.3);
    expect(report.resyncs).to.equal(3);
  });

  it('is not ok before any routes were loaded', () => {
    const report = buildHealthReport(false, stats, status({ revision: null, connected: false, lastInSyncAt: null, memoryPerKeyBytes: null }), 5_000);
    expect(report.ok).to.equal(false);
    expect(report.staleSeconds).to.equal(null);
    expect(report.memoryPerRouteBytes).to.equal(null);
  });
});
