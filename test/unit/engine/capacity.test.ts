import { expect } from 'chai';
import { assertCapacity, capacityShortfall, hostUsage, totalDemand, type CapacityPolicy } from '../../../engine/capacity';
import { SlipwayError } from '../../../lib/errors';

const policy: CapacityPolicy = { reservedMemoryMb: 1024, cpuOvercommit: 4 };
const host = { memoryMb: 8192, cpus: 2 };
const NONE = { memoryMb: 0, cpu: 0 };
const ADVICE = 'Scale something down or lower the size with ps:resize.';

describe('engine/capacity', () => {
  describe('totalDemand', () => {
    it('is zero for nothing', () => {
      expect(totalDemand([])).to.deep.equal({ memoryMb: 0, cpu: 0 });
    });

    it('adds up memory and CPU of every item, ignoring their other fields', () => {
      const instances = [
        { id: 'web.1', memoryMb: 512, cpu: 0.5 },
        { id: 'web.2', memoryMb: 512, cpu: 0.5 },
        { id: 'worker.1', memoryMb: 1024, cpu: 1 },
      ];
      expect(totalDemand(instances)).to.deep.equal({ memoryMb: 2048, cpu: 2 });
    });
  });

  describe('capacityShortfall', () => {
    it('is null when the change fits beside what already runs', () => {
      expect(capacityShortfall(host, { memoryMb: 2048, cpu: 2 }, { memoryMb: 512, cpu: 0.5 }, policy, 'web=2')).to.equal(null);
    });

    it('lets a change use exactly what is left, memory and CPU', () => {
      // 8192 − 1024 reserved − 2048 committed = 5120 MB left; 2 cores × 4 − 3 = 5 CPU left.
      expect(capacityShortfall(host, { memoryMb: 2048, cpu: 3 }, { memoryMb: 5120, cpu: 5 }, policy, 'web=10')).to.equal(null);
    });

    it('does not refuse a change that fills the CPUs exactly because of floating-point sums', () => {
      const committed = totalDemand([{ memoryMb: 0, cpu: 0.1 }, { memoryMb: 0, cpu: 0.2 }]); // 0.30000000000000004
      expect(capacityShortfall({ memoryMb: 4096, cpus: 1 }, committed, { memoryMb: 0, cpu: 0.7 }, { reservedMemoryMb: 0, cpuOvercommit: 1 }, 'x'))
        .to.equal(null);
    });

    it('keeps the reserved memory back for the platform', () => {
      // Nothing runs, but 8192 − 1024 = 7168 MB is all apps may use.
      expect(capacityShortfall(host, NONE, { memoryMb: 7168, cpu: 0 }, policy, 'web=14')).to.equal(null);
      expect(capacityShortfall(host, NONE, { memoryMb: 7169, cpu: 0 }, policy, 'web=14')).to.equal(
        `Insufficient capacity on this host for web=14: memory: needs 7169 MB, 7168 MB left of 8192 MB. ${ADVICE}`,
      );
    });

    it('names the memory shortfall, the change and what to do', () => {
      const message = capacityShortfall({ memoryMb: 4096, cpus: 2 }, { memoryMb: 2560, cpu: 1 }, { memoryMb: 1024, cpu: 0.5 }, policy, 'web=3');
      expect(message).to.equal(
        `Insufficient capacity on this host for web=3: memory: needs 1024 MB, 512 MB left of 4096 MB. ${ADVICE}`,
      );
    });

    it('names the CPU shortfall with the overcommitted total it is measured against', () => {
      const message = capacityShortfall(
        { memoryMb: 65536, cpus: 2 }, { memoryMb: 0, cpu: 2.5 }, { memoryMb: 512, cpu: 1 }, { reservedMemoryMb: 1024, cpuOvercommit: 1.5 }, 'worker=2',
      );
      expect(message).to.equal(
        `Insufficient capacity on this host for worker=2: CPU: needs 1, 0.5 left of 3 (2 cores × 1.5). ${ADVICE}`,
      );
    });

    it('names both shortfalls in one sentence when memory and CPU are short', () => {
      const message = capacityShortfall(
        { memoryMb: 2048, cpus: 1 }, { memoryMb: 512, cpu: 1 }, { memoryMb: 1024, cpu: 0.5 }, { reservedMemoryMb: 1024, cpuOvercommit: 1 }, 'v7 (web=2)',
      );
      expect(message).to.equal(
        'Insufficient capacity on this host for v7 (web=2): memory: needs 1024 MB, 512 MB left of 2048 MB; '
        + `CPU: needs 0.5, 0 left of 1 (1 cores × 1). ${ADVICE}`,
      );
    });

    it('says 0 left, not a negative amount, on a host that is already over-committed', () => {
      const message = capacityShortfall({ memoryMb: 4096, cpus: 1 }, { memoryMb: 5000, cpu: 6 }, { memoryMb: 256, cpu: 0.25 }, policy, 'web=1');
      expect(message).to.equal(
        `Insufficient capacity on this host for web=1: memory: needs 256 MB, 0 MB left of 4096 MB; CPU: needs 0.25, 0 left of 4 (1 cores × 4). ${ADVICE}`,
      );
    });

    it('rounds CPU amounts to two decimals', () => {
      const message = capacityShortfall({ memoryMb: 65536, cpus: 1 }, { memoryMb: 0, cpu: 1 / 3 }, { memoryMb: 0, cpu: 2 / 3 + 0.01 }, { reservedMemoryMb: 0, cpuOvercommit: 1 }, 'x');
      expect(message).to.include('CPU: needs 0.68, 0.67 left of 1 (1 cores × 1)');
    });
  });

  describe('assertCapacity', () => {
    it('passes silently when the change fits', () => {
      expect(() => assertCapacity(host, NONE, { memoryMb: 512, cpu: 0.5 }, policy, 'web=1')).to.not.throw();
    });

    it('refuses with insufficient_capacity (HTTP 409) and the shortfall as message', () => {
      let caught: unknown;
      try {
        assertCapacity({ memoryMb: 2048, cpus: 1 }, NONE, { memoryMb: 2048, cpu: 0.5 }, policy, 'web=4');
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(SlipwayError);
      const error = caught as SlipwayError;
      expect(error.code).to.equal('insufficient_capacity');
      expect(error.status).to.equal(409);
      expect(error.message).to.equal(`Insufficient capacity on this host for web=4: memory: needs 2048 MB, 1024 MB left of 2048 MB. ${ADVICE}`);
    });
  });

  describe('hostUsage', () => {
    it('counts what running and starting instances commit, not exited ones, and what is left', () => {
      const usage = hostUsage('node-1', host, [
        { state: 'running', memoryMb: 512, cpu: 0.5 },
        { state: 'starting', memoryMb: 1024, cpu: 1.25 },
        { state: 'exited', memoryMb: 4096, cpu: 4 },
      ], policy);
      expect(usage).to.deep.equal({
        name: 'node-1', instances: 2,
        memory: { totalMb: 8192, reservedMb: 1024, committedMb: 1536, freeMb: 5632 },
        cpu: { cores: 2, allocatable: 8, committed: 1.75, free: 6.25 },
      });
    });

    it('never reports less than nothing free', () => {
      const usage = hostUsage('node-1', host, [{ state: 'running', memoryMb: 9000, cpu: 9 }], policy);
      expect(usage.memory.freeMb).to.equal(0);
      expect(usage.cpu.free).to.equal(0);
    });
  });
});
