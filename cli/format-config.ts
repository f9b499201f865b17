/** Pure formatters of config vars and of one release (`releases:info`). */
import type { ConfigVars, ReleaseInfo } from './api-types';
import { phasesTable } from './format-deploys';
import { colors, relativeTime, releaseStatus, table, versionLabel, type FormatOptions } from './format';

export function configTable(app: string, config: ConfigVars, options: FormatOptions): string {
  const keys = Object.keys(config).sort();
  if (keys.length === 0) return `${app} has no config vars. Set one with: slipway config:set ${app} KEY=value`;
  const c = colors(options.color);
  return `${c.bold(`=== ${app} Config Vars`)}\n${table(['Key', 'Value'], keys.map((key) => [key, config[key] ?? '']), options.color)}`;
}

/** "GREETING", "A, B": as Heroku lists the vars it sets. */
export function keyList(keys: readonly string[]): string {
  return keys.join(', ');
}

function processTypes(info: ReleaseInfo): string {
  const entries = Object.entries(info.processTypes);
  if (entries.length === 0) return info.image ? "web (the image's CMD)" : 'none';
  return entries.map(([type, command]) => `${type}: ${command}`).join('\n                 ');
}

export function releaseInfo(app: string, info: ReleaseInfo, options: FormatOptions): string {
  const c = colors(options.color);
  const status = `${releaseStatus(info.status, options.color)}${info.current ? ' (current)' : ''}`;
  const fields: Array<[string, string]> = [
    ['Description', info.description],
    ['Status', status],
  ];
  if (info.status === 'failed' && info.failureReason) fields.push(['Failure reason', c.red(info.failureReason)]);
  fields.push(
    ['Build', info.buildId ?? 'none'],
    ['Commit', info.commit ?? ''],
    ['Image', info.image ?? ''],
    ['Process types', processTypes(info)],
    ['Config vars', info.configKeys.length === 0 ? 'none' : info.configKeys.join(', ')],
    ['Created', relativeTime(info.createdAt, options.now)],
  );
  const width = 16;
  const lines = [c.bold(`=== ${app} release ${versionLabel(info.version)}`), ''];
  for (const [label, value] of fields) lines.push(`${`${label}:`.padEnd(width)} ${value}`);
  if (info.phases) lines.push('', c.bold('=== Phases'), phasesTable(info.phases, options));
  return lines.join('\n');
}
