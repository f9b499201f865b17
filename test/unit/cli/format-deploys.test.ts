import { expect } from 'chai';
import { formatDuration, phasesTable } from '../../../cli/format-deploys';
import type { Phase } from '../../../api/schemas/deploys';

const phase = (name: Phase['name'], outcome: Phase['outcome'], durationMs: number | null, extra: Partial<Phase> = {}): Phase => ({
  name, outcome, startedAt: null, endedAt: null, durationMs, detail: null, reason: null, lines: [], ...extra,
});

describe('cli/format-deploys (releases:info phases)', () => {
  it('says durations as people read them', () => {
    expect(formatDuration(850)).to.equal('850 ms');
    expect(formatDuration(12_400)).to.equal('12.4 s');
    expect(formatDuration(125_000)).to.equal('2 min 5 s');
    expect(formatDuration(null)).to.equal('');
  });

  it('lists every phase with its outcome and duration', () => {
    const text = phasesTable([phase('receive', 'ok', 120), phase('build', 'ok', 42_000, { detail: 'buildpacks' }), phase('push', 'skipped', null),
      phase('routed', 'pending', null)], { color: false, now: new Date(0) });
    expect(text).to.match(/receive\s*│\s*ok\s*│\s*120 ms/);
    expect(text).to.match(/build\s*│\s*ok\s*│\s*42\.0 s\s*│\s*buildpacks/);
    expect(text).to.match(/image push\s*│\s*skipped/);
    expect(text).to.match(/routed\s*│\s*not reached/);
  });

  it('shows a failure\'s reason and lines, or says the lines need operate', () => {
    const failed = phase('build', 'failed', 3000, { reason: 'npm install failed', lines: ['npm ERR! 404 left-pad'] });
    expect(phasesTable([failed], { color: false, now: new Date(0) })).to.contain('build failed: npm install failed\n  npm ERR! 404 left-pad');
    const hidden = phasesTable([{ ...failed, lines: null }], { color: false, now: new Date(0) });
    expect(hidden).to.contain('build failed: npm install failed');
    expect(hidden).to.contain('need the operate permission');
  });
});
