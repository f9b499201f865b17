/** Pure formatters of the deploy timeline (`releases:info`'s phases; docs/deploy-timeline.md). */
import type { Phase } from '../api/schemas/deploys';
import { colors, table, type FormatOptions } from './format';

const LABELS: Record<Phase['name'], string> = {
  receive: 'receive',
  build: 'build',
  push: 'image push',
  'release-phase': 'release phase',
  start: 'instance start',
  checks: 'health checks',
  routed: 'routed',
  drained: 'old instances drained',
};

export function phaseLabel(name: Phase['name']): string {
  return LABELS[name];
}

/** "850 ms", "12.4 s", "2 min 5 s". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function outcome(phase: Phase, color: boolean): string {
  const c = colors(color);
  switch (phase.outcome) {
    case 'ok': return c.green('ok');
    case 'failed': return c.red('failed');
    case 'running': return c.yellow('running');
    case 'skipped': return c.dim('skipped');
    default: return c.dim('not reached');
  }
}

/** The phases with their outcome and duration; a failed phase's reason and lines below the table. */
export function phasesTable(phases: readonly Phase[], options: FormatOptions): string {
  if (phases.length === 0) return 'No phases recorded (this release was made before Slipway recorded them).';
  const c = colors(options.color);
  const rows = phases.map((p) => [phaseLabel(p.name), outcome(p, options.color), formatDuration(p.durationMs), p.detail ?? '']);
  const lines = [table(['Phase', 'Outcome', 'Duration', 'Detail'], rows, options.color)];
  for (const phase of phases.filter((p) => p.outcome === 'failed')) {
    lines.push(c.red(`${phaseLabel(phase.name)} failed: ${phase.reason ?? 'no reason recorded'}`));
    if (phase.lines === null) lines.push(c.dim('  (its log lines need the operate permission on the app)'));
    else for (const line of phase.lines) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}
