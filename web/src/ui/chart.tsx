/**
 * Line charts drawn as inline SVG (no chart library: a few hundred bytes of code against a 250 kB
 * budget). Colours come from CSS variables, so both themes apply; each chart has a title, an
 * aria-label with the latest values and a table of them for screen readers and keyboards.
 */
import { useMemo } from 'preact/hooks';
import '../styles/chart.css';

export interface ChartLine {
  label: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Drawn dashed (a limit, not a measure). */
  dashed?: boolean;
}

const WIDTH = 360;
const HEIGHT = 150;
const PAD = { left: 56, right: 6, top: 8, bottom: 20 };
/** At most this many points per line are drawn; a bucket keeps its highest value, so peaks stay. */
const MAX_DRAWN = 600;

/** Buckets of points reduced to their maximum: peaks survive a 7-day view. */
export function decimate(points: ReadonlyArray<readonly [number, number]>, max = MAX_DRAWN): Array<readonly [number, number]> {
  if (points.length <= max) return [...points];
  const size = Math.ceil(points.length / max);
  const out: Array<readonly [number, number]> = [];
  for (let i = 0; i < points.length; i += size) {
    let best = points[i]!;
    for (let j = i + 1; j < Math.min(i + size, points.length); j++) if (points[j]![1] > best[1]) best = points[j]!;
    out.push(best);
  }
  return out;
}

/** A round top for the y axis (1, 2, 5 × 10^n) at or above `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** SVG path of a line; a gap longer than `gap` seconds (no value there) breaks it. */
export function pathOf(points: ReadonlyArray<readonly [number, number]>, x: (t: number) => number, y: (v: number) => number, gap: number): string {
  let d = '';
  let last: number | null = null;
  for (const [t, v] of points) {
    d += `${last === null || t - last > gap ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    last = t;
  }
  return d;
}

function timeLabel(seconds: number, span: number): string {
  const date = new Date(seconds * 1000);
  if (span > 2 * 86400) return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function LineChart({ id, title, lines, start, end, step, format }: {
  id: string; title: string; lines: ChartLine[]; start: number; end: number; step: number; format: (value: number) => string;
}) {
  const drawn = useMemo(() => lines.map((l) => ({ ...l, points: decimate(l.points) })), [lines]);
  const top = niceMax(Math.max(0, ...drawn.flatMap((l) => l.points.map(([, v]) => v))));
  const span = Math.max(1, end - start);
  const x = (t: number) => PAD.left + ((t - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const latest = lines.map((l) => ({ label: l.label, value: l.points.length > 0 ? l.points[l.points.length - 1]![1] : null }));
  const summary = latest.length === 0
    ? `${title}: no data in this window`
    : `${title}, latest: ${latest.map((l) => `${l.label} ${l.value === null ? 'no data' : format(l.value)}`).join(', ')}`;
  const gap = Math.max(step * 2.5, (span / MAX_DRAWN) * 2.5);

  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} class="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="chart-axis" x={PAD.left - 4} y={y(top * f) + 4} text-anchor="end">{format(top * f)}</text>
          </g>
        ))}
        <text class="chart-axis" x={PAD.left} y={HEIGHT - 4}>{timeLabel(start, span)}</text>
        <text class="chart-axis" x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">{timeLabel(end, span)}</text>
        {drawn.map((l, i) => (
          <path key={l.label} class={`chart-line chart-c${i % 6}${l.dashed ? ' chart-dashed' : ''}`} d={pathOf(l.points, x, y, gap)} />
        ))}
      </svg>
      {lines.length === 0 ? <p class="muted small chart-empty">No data in this window.</p> : (
        <ul class="chart-legend">
          {latest.map((l, i) => (
            <li key={l.label}><span class={`chart-swatch chart-c${i % 6}${lines[i]!.dashed ? ' chart-dashed' : ''}`} aria-hidden="true" />{l.label}: <strong>{l.value === null ? '–' : format(l.value)}</strong></li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** Two significant digits below 0.1 (0.0042), two decimals above. */
function small(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) < 0.1 ? String(Number(v.toPrecision(2))) : v.toFixed(2);
}

/** A tiny line without axes (the apps list's request rate). */
export function Sparkline({ points, label }: { points: ReadonlyArray<readonly [number, number]>; label: string }) {
  const w = 80;
  const h = 20;
  if (points.length === 0) return <span class="muted">–<span class="visually-hidden"> {label}</span></span>;
  const first = points[0]![0];
  const span = Math.max(1, points[points.length - 1]![0] - first);
  const top = Math.max(...points.map(([, v]) => v)) || 1;
  // A single point (the first minute of traffic) is drawn as a short level line at its height.
  const drawn = points.length === 1 ? [[first - 1, points[0]![1]] as const, points[0]!] : points;
  const x0 = points.length === 1 ? first - 1 : first;
  const d = pathOf(drawn, (t) => ((t - x0) / Math.max(span, 1)) * w, (v) => h - 1 - (v / top) * (h - 2), Infinity);
  return (
    <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label}>
      <path class="chart-line chart-c0" d={d} />
    </svg>
  );
}

export const formatters = {
  rate: (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : small(v)) + '/s',
  ms: (seconds: number) => { const ms = seconds * 1000; return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`; },
  cores: (v: number) => `${small(v)} cores`,
  bytes: (v: number) => {
    if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(1)} GB`;
    if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(0)} MB`;
    if (v >= 1024) return `${(v / 1024).toFixed(0)} kB`;
    return `${v.toFixed(0)} B`;
  },
};
