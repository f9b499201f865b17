/** Output of the add-on commands: data in, text out (no I/O, no clock). */
import type { AddonJson, BackupJson, LinkJson } from '../api/schemas/addons';
import { humanBytes } from './commands-buildpacks';
import * as format from './format';

export function addonState(state: string, health: string, color: boolean): string {
  const c = format.colors(color);
  if (state === 'available') return health === 'unhealthy' ? c.red('unhealthy') : c.green('available');
  if (state === 'failed') return c.red('failed');
  return c.yellow(state);
}

function attachedApps(addon: AddonJson): string {
  return addon.attachments.length === 0 ? '(none)' : addon.attachments.map((a) => `${a.app} as ${a.name}`).join(', ');
}

/** `addons [APP]`: name, kind, plan, state, attached apps. */
export function addonsTable(addons: readonly AddonJson[], app: string | undefined, color: boolean): string {
  if (addons.length === 0) {
    return app === undefined ? 'No add-ons. Create one with: slipway addons:create APP postgresql' : `${app} has no add-ons. Create one with: slipway addons:create ${app} postgresql`;
  }
  return format.table(['Name', 'Kind', 'Plan', 'State', 'Attached to'],
    addons.map((a) => [a.name, a.kind, a.kind === 'external' ? '-' : a.plan, addonState(a.state, a.health, color), attachedApps(a)]), color);
}

export function addonInfo(addon: AddonJson, options: format.FormatOptions): string {
  const c = format.colors(options.color);
  const fields: Array<[string, string]> = [
    ['Kind', addon.kind],
    ['Plan', addon.kind === 'external' ? '-' : addon.plan],
    ['State', addonState(addon.state, addon.health, options.color)],
    ...(addon.stateReason ? [['Detail', addon.stateReason] as [string, string]] : []),
    ['URL', addon.url ?? '(not yet: provisioning)'],
    ['Attached to', attachedApps(addon)],
    ['Config vars', addon.attachments.map((a) => `${a.app}: ${a.configKeys.join(', ')}${a.bound ? '' : ' (pending)'}`).join('; ') || '-'],
    ['Team', String(addon.team)],
    ['Created', format.relativeTime(addon.createdAt, options.now)],
  ];
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return [c.bold(`=== ${addon.name}`), ...fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`)].join('\n');
}

export function backupStatus(status: string, color: boolean): string {
  const c = format.colors(color);
  if (status === 'verified') return c.green(status);
  if (status === 'failed') return c.red(status.toUpperCase());
  return c.yellow(status);
}

export function duration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `addons:backups NAME`: newest first, with size, duration and status (a failure's reason under it). */
export function backupsTable(name: string, backups: readonly BackupJson[], options: format.FormatOptions): string {
  if (backups.length === 0) return `${name} has no backups. Capture one with: slipway addons:backups:capture ${name}`;
  return format.table(['ID', 'Taken', 'Status', 'Size', 'Duration', 'Trigger'],
    backups.map((b) => [
      b.id, format.relativeTime(b.createdAt, options.now),
      b.status === 'failed' && b.error ? `${backupStatus(b.status, options.color)}\n${format.wrap(b.error, 50)}` : backupStatus(b.status, options.color),
      b.size === null ? '-' : humanBytes(b.size), duration(b.durationMs), b.trigger,
    ]), options.color);
}

export function linksTable(app: string, links: readonly LinkJson[], color: boolean): string {
  if (links.length === 0) return `${app} has no links. Add one with: slipway apps:link ${app} OTHER_APP`;
  return format.table(['Variable', 'App', 'URL'], links.map((l) => [l.configKey, l.target, l.url]), color);
}
