import { expect } from 'chai';
import type { PsInstance, PsView, SizedFormationEntry } from '../../../cli/api-types';
import { formationLine, memoryLabel, psView } from '../../../cli/format-ps';

const ESC = '\u001b[';
const now = new Date('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const plain = { color: false, now };
const coloured = { color: true, now };

function entry(type: string, quantity: number, memoryMb = 512, cpu = 0.5): SizedFormationEntry {
  return { type, quantity, memoryMb, cpu };
}

function instance(overrides: Partial<PsInstance> = {}): PsInstance {
  return { id: 'web.1', type: 'web', state: 'running', release: 3, url: 'http://127.0.0.1:32768', startedAt: ago(3 * 60_000), restartCount: 0, ...overrides };
}

/** The cells of each table row (header first), borders and padding removed. */
function tableRows(text: string): string[][] {
  return text.split('\n').filter((line) => line.startsWith('│'))
    .map((line) => line.split('│').slice(1, -1).map((cell) => cell.trim()));
}

describe('cli/format-ps', () => {
  describe('memoryLabel', () => {
    it('shows whole gigabytes as GB', () => {
      expect(memoryLabel(1024)).to.equal('1 GB');
      expect(memoryLabel(2048)).to.equal('2 GB');
      expect(memoryLabel(16384)).to.equal('16 GB');
    });

    it('shows everything else in MB', () => {
      expect(memoryLabel(512)).to.equal('512 MB');
      expect(memoryLabel(1536)).to.equal('1536 MB');
      expect(memoryLabel(1000)).to.equal('1000 MB');
      expect(memoryLabel(16)).to.equal('16 MB');
    });
  });

  describe('formationLine', () => {
    it('lists type=quantity pairs in the order given', () => {
      expect(formationLine([entry('web', 2), entry('worker', 1)])).to.equal('web=2 worker=1');
      expect(formationLine([entry('web', 0)])).to.equal('web=0');
    });

    it('says "nothing" for an empty formation', () => {
      expect(formationLine([])).to.equal('nothing');
    });
  });

  describe('psView', () => {
    const view = (formation: SizedFormationEntry[], instances: PsInstance[]): PsView => ({ formation, instances });

    it('shows each process type with its quantity and size, then the instances', () => {
      const text = psView('shop', view(
        [entry('web', 2, 1024, 1), entry('worker', 0)],
        [
          instance({ id: 'web.1' }),
          instance({ id: 'web.2', state: 'crashed', startedAt: null, restartCount: 4, release: 2 }),
        ],
      ), plain);
      const [header] = text.split('\n\n');
      expect(header).to.equal('=== shop formation\nweb: 2 × 1 GB, 1 CPU\nworker: 0 × 512 MB, 0.5 CPU');
      expect(tableRows(text)).to.deep.equal([
        ['Instance', 'Type', 'State', 'Release', 'Uptime', 'Restarts'],
        ['web.1', 'web', 'running', 'v3', '3 minutes', '0'],
        ['web.2', 'web', 'crashed', 'v2', '-', '4'],
      ]);
    });

    it('shows uptime without "ago", and "just now" for a fresh instance', () => {
      const text = psView('shop', view([entry('web', 3)], [
        instance({ id: 'web.1', startedAt: ago(2 * 3600_000) }),
        instance({ id: 'web.2', startedAt: ago(2_000) }),
        instance({ id: 'web.3', startedAt: ago(3 * 86_400_000 + 5_000) }),
      ]), plain);
      expect(tableRows(text).slice(1).map((row) => row[4])).to.deep.equal(['2 hours', 'just now', '3 days']);
      expect(text).to.not.include('ago');
    });

    it('tells how to scale up when nothing runs', () => {
      expect(psView('shop', view([entry('web', 0)], []), plain)).to.equal(
        '=== shop formation\nweb: 0 × 512 MB, 0.5 CPU\n\nNo instances are running. Scale up with: slipway ps:scale shop web=1',
      );
    });

    it('says there are no process types before the first deploy', () => {
      expect(psView('shop', view([], []), plain)).to.equal(
        '=== shop formation\nno process types yet\n\nNo instances are running. Scale up with: slipway ps:scale shop web=1',
      );
    });

    it('uses no colour codes unless asked', () => {
      const text = psView('shop', view([entry('web', 1)], [instance(), instance({ id: 'web.2', state: 'crashed' })]), plain);
      expect(text).to.not.include(ESC);
    });

    it('colours states (running green, crashed red, others yellow) and type names bold when asked', () => {
      const text = psView('shop', view([entry('web', 3)], [
        instance({ id: 'web.1', state: 'running' }),
        instance({ id: 'web.2', state: 'crashed' }),
        instance({ id: 'web.3', state: 'starting' }),
      ]), coloured);
      expect(text).to.include(`${ESC}32mrunning${ESC}39m`);
      expect(text).to.include(`${ESC}31mcrashed${ESC}39m`);
      expect(text).to.include(`${ESC}33mstarting${ESC}39m`);
      expect(text).to.include(`${ESC}1mweb${ESC}22m: 3 × 512 MB, 0.5 CPU`);
    });
  });
});
