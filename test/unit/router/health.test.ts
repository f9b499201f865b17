import { expect } from 'chai';
import { buildHealthReport } from '../../../router/health';

describe('router/health', () => {
  const stats = { appCount: 2, hostCount: 3, backendCount: 4 };

  it('reports 0 stale seconds while following etcd', () => {
    const report = buildHealthReport(true, stats, { revision: 42, connected: true, lastInSyncAt: 1_000 }, 9_000);
    expect(report).to.deep.equal({
      ok: true,
      revision: 42,
      appCount: 2,
      backendCount: 4,
      etcdConnected: true,
      staleSeconds: 0,
    });
  });

  it('counts the seconds since the table was last in sync once etcd is gone', () => {
    const report = buildHealthReport(true, stats, { revision: 42, connected: false, lastInSyncAt: 1_000 }, 31_000);
    expect(report.ok).to.equal(true);
    expect(report.etcdConnected).to.equal(false);
    expect(report.staleSeconds).to.equal(30);
  });

  it('is not ok before any routes were loaded', () => {
    const report = buildHealthReport(false, stats, { revision: null, connected: false, lastInSyncAt: null }, 5_000);
    expect(report.ok).to.equal(false);
    expect(report.staleSeconds).to.equal(null);
  });
});
