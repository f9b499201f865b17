/**
 * Pure output formatting: data in, text out. No I/O, no clock (callers pass `now`), and colour
 * only when asked for, so every function here is unit-testable.
 */
import chalk from 'chalk';
import Table from 'cli-table3';
import type { App, AppInfo, Instance, Key, Release } from './api-types';

export interface FormatOptions {
  /** Emit ANSI colours. */
  color: boolean;
  /** "Now", for relative times. */
  now: Date;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Colours on a TTY unless NO_COLOR is set (https://no-color.org); FORCE_COLOR turns them on anywhere. */
export function colorEnabled(stream: { isTTY?: boolean }, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return true;
  }
  return stream.isTTY === true;
}

export function colors(enabled: boolean): chalk.Chalk {
  return new chalk.Instance({ level: enabled ? 1 : 0 });
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "just now", "3 minutes ago", "2 days ago", "in 5 minutes" (clock skew). Unparseable input is returned as is. */
export function relativeTime(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const diff = now.getTime() - then;
  const ahead = diff < 0;
  const abs = Math.abs(diff);
  if (abs < 10 * SECOND) return 'just now';
  let text: string;
  if (abs < MINUTE) text = plural(Math.floor(abs / SECOND), 'second');
  else if (abs < HOUR) text = plural(Math.floor(abs / MINUTE), 'minute');
  else if (abs < DAY) text = plural(Math.floor(abs / HOUR), 'hour');
  else if (abs < MONTH) text = plural(Math.floor(abs / DAY), 'day');
  else if (abs < YEAR) text = plural(Math.floor(abs / MONTH), 'month');
  else text = plural(Math.floor(abs / YEAR), 'year');
  return ahead ? `in ${text}` : `${text} ago`;
}

export function versionLabel(version: number | null | undefined): string {
  return version === null || version === undefined ? 'none' : `v${version}`;
}

/** A release status, coloured: succeeded green, failed red, pending yellow. */
export function releaseStatus(status: string, color: boolean): string {
  const c = colors(color);
  switch (status) {
    case 'succeeded':
      return c.green(status);
    case 'failed':
      return c.red(status);
    case 'pending':
      return c.yellow(status);
    default:
      return status;
  }
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '';
}

/** Wraps text at word boundaries so long failure reasons do not make a table unreadably wide. */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

export function table(head: string[], rows: string[][], color: boolean): string {
  const c = colors(color);
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [] },
  });
  for (const row of rows) t.push(row);
  return t.toString();
}

export function appsTable(apps: readonly App[], options: FormatOptions): string {
  if (apps.length === 0) return 'You have no apps. Create one with: slipway apps:create NAME';
  return table(
    ['Name', 'Current release', 'URL'],
    apps.map((app) => [app.name, versionLabel(app.currentRelease), app.url]),
    options.color,
  );
}

function releaseSummary(release: Release | null, options: FormatOptions): string {
  if (release === null) return 'none yet (git push to deploy)';
  const parts = [versionLabel(release.version), releaseStatus(release.status, options.color)];
  if (release.description) parts.push(`— ${release.description}`);
  let summary = parts.join(' ');
  if (release.status === 'failed' && release.failureReason) summary += ` (${release.failureReason})`;
  return summary;
}

function formationSummary(info: AppInfo): string {
  if (info.formation.length === 0) return 'none (git push to deploy)';
  return info.formation.map((f) => `${f.type}=${f.quantity}`).join(' ');
}

function instanceRelease(instance: Instance): string {
  return typeof instance.release === 'number' ? versionLabel(instance.release) : String(instance.release ?? '');
}

export function instanceState(state: string, color: boolean): string {
  const c = colors(color);
  if (state === 'running' || state === 'up' || state === 'healthy') return c.green(state);
  if (state === 'crashed' || state === 'failed' || state === 'unhealthy') return c.red(state);
  if (state === 'starting' || state === 'stopping' || state === 'pending') return c.yellow(state);
  return state;
}

export function appInfo(info: AppInfo, options: FormatOptions): string {
  const c = colors(options.color);
  const fields: Array<[string, string]> = [
    ['Web URL', info.url],
    ['Git URL', info.gitUrl],
    ['Current release', releaseSummary(info.release, options)],
    ['Formation', formationSummary(info)],
    ['Created', relativeTime(info.createdAt, options.now)],
  ];
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  const lines = [c.bold(`=== ${info.name}`), ''];
  for (const [label, value] of fields) lines.push(`${`${label}:`.padEnd(width)} ${value}`);
  lines.push('');
  lines.push(c.bold('=== Instances'));
  if (info.instances.length === 0) {
    lines.push('No instances running.');
  } else {
    lines.push(
      table(
        ['ID', 'Type', 'State', 'Release', 'URL'],
        info.instances.map((i) => [i.id, i.type, instanceState(i.state, options.color), instanceRelease(i), i.url ?? '']),
        options.color,
      ),
    );
  }
  return lines.join('\n');
}

export function releasesTable(app: string, releases: readonly Release[], options: FormatOptions): string {
  if (releases.length === 0) return `${app} has no releases yet. Deploy with: git push slipway HEAD:main`;
  const rows = releases.map((release) => {
    let description = release.description;
    if (release.status === 'failed' && release.failureReason) {
      const reason = colors(options.color).red(wrap(`failed: ${release.failureReason}`, 60));
      description = description ? `${description}\n${reason}` : reason;
    }
    const version = release.current ? `${versionLabel(release.version)} (current)` : versionLabel(release.version);
    return [
      version,
      releaseStatus(release.status, options.color),
      description,
      shortCommit(release.commit),
      relativeTime(release.createdAt, options.now),
    ];
  });
  return table(['Version', 'Status', 'Description', 'Commit', 'Created'], rows, options.color);
}

export function keysTable(keys: readonly Key[], options: FormatOptions): string {
  if (keys.length === 0) return 'You have no SSH keys. Add one with: slipway keys:add';
  return table(
    ['ID', 'Name', 'Fingerprint', 'Added'],
    keys.map((key) => [String(key.id), key.name, key.fingerprint, relativeTime(key.createdAt, options.now)]),
    options.color,
  );
}

/** Output for `--json`: stable, indented, newline-terminated by the caller. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The single error line on stderr: ` !    <message>`. */
export function errorLine(message: string, color: boolean): string {
  return colors(color).red(` !    ${message}`);
}
