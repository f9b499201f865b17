/**
 * The `slipway[api]` line of an app's log stream for a change made through the API, as Heroku's
 * `heroku[api]: Scale to web=2 by alice` lines: what, by whom, how it ended. Built from the audit
 * record, which never holds a secret.
 */
import type { AuditRecord } from '../audit-port';

const WHAT: Readonly<Record<string, string>> = {
  'app.create': 'App created',
  'app.rename': 'App renamed',
  'app.maintenance': 'Maintenance mode changed',
  'config.change': 'Config vars changed',
  'release.rollback': 'Rollback',
  'formation.scale': 'Scaled',
  'formation.resize': 'Resized',
  'ps.restart': 'Restarted',
  'ps.stop': 'Stopped a process type',
  'ps.kill': 'Killed an instance',
  'run': 'One-off process started',
  'run.stop': 'One-off process stopped',
  'domain.add': 'Domain added',
  'domain.remove': 'Domain removed',
  'cert.add': 'Certificate added',
  'cert.remove': 'Certificate removed',
  'deploy.image': 'Image deploy',
  'buildpacks.change': 'Buildpacks changed',
};

export function changeLine(record: AuditRecord): string {
  const who = record.principal.kind === 'user' ? record.principal.userName : 'Slipway';
  const what = WHAT[record.action] ?? record.action;
  return `${what} by ${who}${record.result === 'failed' ? ' (failed)' : ''}`;
}
