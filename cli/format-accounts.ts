/** Pure formatters of users, tokens, teams, members, app access and the audit log. */
import type { Account, AppAccess, AuditEvent, MemberView, TeamView, TokenView, UserView } from './accounts-types';
import type { App } from './api-types';
import * as format from './format';

type Options = format.FormatOptions;

function fields(pairs: Array<[string, string]>): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`);
}

export function whoami(account: Account, options: Options): string {
  const c = format.colors(options.color);
  const teams = account.teams.length === 0 ? 'none' : account.teams.map((t) => `${t.name} (${t.role})`).join(', ');
  return [
    c.bold(`=== ${account.name}`),
    ...fields([['Email', account.email ?? '-'], ['Teams', teams], ['Platform admin', account.platformAdmin ? 'yes' : 'no']]),
  ].join('\n');
}

export function usersTable(users: readonly UserView[], options: Options): string {
  if (users.length === 0) return 'There are no users.';
  const c = format.colors(options.color);
  return format.table(
    ['Name', 'Email', 'Role', 'Status', 'Created'],
    users.map((u) => [u.name, u.email ?? '', u.platformAdmin ? 'platform admin' : 'user', u.disabled ? c.red('disabled') : c.green('active'), format.relativeTime(u.createdAt, options.now)]),
    options.color,
  );
}

function expiry(expiresAt: string | null, options: Options): string {
  if (expiresAt === null) return 'never';
  const text = format.relativeTime(expiresAt, options.now);
  return Date.parse(expiresAt) <= options.now.getTime() ? format.colors(options.color).red(`expired ${text}`) : text;
}

export function tokensTable(tokens: readonly TokenView[], options: Options): string {
  if (tokens.length === 0) return 'You have no API tokens. Create one with: slipway tokens:create';
  return format.table(
    ['ID', 'Description', 'Scope', 'Created', 'Expires', 'Last used'],
    tokens.map((t) => [
      t.current ? `${t.id} (current)` : String(t.id),
      t.description ?? (t.kind === 'login' ? 'slipway login' : ''),
      t.scope,
      format.relativeTime(t.createdAt, options.now),
      expiry(t.expiresAt, options),
      t.lastUsedAt === null ? 'never' : format.relativeTime(t.lastUsedAt, options.now),
    ]),
    options.color,
  );
}

export function teamsTable(teams: readonly TeamView[], options: Options): string {
  if (teams.length === 0) return 'You belong to no team. Create one with: slipway teams:create TEAM';
  return format.table(
    ['Team', 'Your role', 'Kind', 'Members may', 'Created'],
    teams.map((t) => [t.name, t.role ?? '-', t.personal ? 'personal' : 'team', t.memberPermissions.join(', '), format.relativeTime(t.createdAt, options.now)]),
    options.color,
  );
}

export function membersTable(team: string, members: readonly MemberView[], options: Options): string {
  if (members.length === 0) return `${team} has no members.`;
  return format.table(['User', 'Role'], members.map((m) => [m.user, m.role]), options.color);
}

export function accessTable(access: AppAccess, options: Options): string {
  const c = format.colors(options.color);
  const header = c.bold(`=== ${access.app} (team ${access.team})`);
  if (access.entries.length === 0) return `${header}\nNobody but platform admins may act on ${access.app}.`;
  return `${header}\n${format.table(
    ['User', 'Role', 'Permissions'],
    access.entries.map((e) => [e.user, e.via === 'collaborator' ? 'collaborator' : (e.role ?? ''), e.permissions.join(', ')]),
    options.color,
  )}`;
}

/** `apps` with the team of each app. */
export function appsWithTeams(apps: ReadonlyArray<App & { team?: string }>, options: Options, team?: string): string {
  if (apps.length === 0) {
    return team === undefined ? 'You have no apps. Create one with: slipway apps:create NAME' : `${team} has no apps. Create one with: slipway apps:create NAME --team ${team}`;
  }
  return format.table(
    ['Name', 'Team', 'Current release', 'URL'],
    apps.map((app) => [app.name, app.team ?? '', format.versionLabel(app.currentRelease), app.url]),
    options.color,
  );
}

/** `2026-12-05T23:01:02Z`: seconds are enough, and UTC reads the same everywhere. */
export function auditTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function auditResult(event: AuditEvent, color: boolean): string {
  const c = format.colors(color);
  if (event.result === 'ok') return c.green('ok');
  const reason = event.detail.reason;
  return c.red(typeof reason === 'string' && reason !== '' ? `${event.result}: ${reason}` : event.result);
}

function auditTarget(event: AuditEvent): string {
  if (event.app !== null) return event.team !== null ? `${event.app} (${event.team})` : event.app;
  return event.team !== null ? `team ${event.team}` : '';
}

/** Where it came from: the SSH key's fingerprint for a push or `run` over SSH, else the address. */
function auditSource(event: AuditEvent): string {
  if (event.via === 'ssh-key' && event.credential !== null) return event.credential;
  return event.address ?? '';
}

function auditRow(event: AuditEvent, color: boolean): string[] {
  return [auditTime(event.time), event.user ?? '-', event.via, event.action, auditTarget(event), auditResult(event, color), auditSource(event)];
}

/** The audit log as a table, oldest first (the API answers newest first). */
export function auditTable(newestFirst: readonly AuditEvent[], options: Options): string {
  if (newestFirst.length === 0) return 'No audit events match.';
  return format.table(
    ['Time', 'User', 'Via', 'Action', 'App/Team', 'Result', 'Address or key'],
    [...newestFirst].reverse().map((e) => auditRow(e, options.color)),
    options.color,
  );
}

/** One event as one line, for `audit -t`. */
export function auditLine(event: AuditEvent, color: boolean): string {
  return auditRow(event, color).filter((cell) => cell !== '').join('  ');
}
