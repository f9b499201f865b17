/** Output of the ps commands (pure: data in, text out). */
import type { SizedFormationEntry, PsView } from './api-types';
import { colors, relativeTime, table, versionLabel, type FormatOptions } from './format';

/** "512 MB", "1 GB". */
export function memoryLabel(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

export function formationLine(formation: readonly SizedFormationEntry[]): string {
  return formation.map((f) => `${f.type}=${f.quantity}`).join(' ') || 'nothing';
}

/** "uptime 3 minutes" from a start time. */
function uptime(startedAt: string | null, now: Date): string {
  if (!startedAt) return '-';
  return relativeTime(startedAt, now).replace(/ ago$/, '');
}

export function psView(app: string, view: PsView, options: FormatOptions): string {
  const c = colors(options.color);
  const stateColor = (state: string): string =>
    state === 'running' ? c.green(state) : state === 'crashed' ? c.red(state) : c.yellow(state);
  const sizes = view.formation
    .map((f) => `${c.bold(f.type)}: ${f.quantity} × ${memoryLabel(f.memoryMb)}, ${f.cpu} CPU`)
    .join('\n');
  const header = `=== ${app} formation\n${sizes || 'no process types yet'}`;
  if (view.instances.length === 0) return `${header}\n\nNo instances are running. Scale up with: slipway ps:scale ${app} web=1`;
  const rows = view.instances.map((i) => [
    i.id, i.type, stateColor(i.state), versionLabel(i.release), uptime(i.startedAt, options.now), String(i.restartCount),
  ]);
  return `${header}\n\n${table(['Instance', 'Type', 'State', 'Release', 'Uptime', 'Restarts'], rows, options.color)}`;
}
