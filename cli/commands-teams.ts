/**
 * Teams and who may do what: `teams`, `teams:create`, `teams:permissions`, `members*`, the team side of `apps`,
 * `apps:create` and `apps:transfer`, and an app's collaborators (`access*`).
 */
import { APP_PERMISSIONS, TEAM_ROLES, type AppPermission, type TeamRole } from './accounts-types';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { accessTable, appsWithTeams, membersTable, teamsTable } from './format-accounts';
import { accountsApi as api, done, formatOptions as options } from './commands-auth';


export function parseRole(role: string | undefined): TeamRole {
  if (role === undefined) throw new CliError(`Say which role with --role ${TEAM_ROLES.join('|')}.`);
  if ((TEAM_ROLES as readonly string[]).includes(role)) return role as TeamRole;
  throw new CliError(`--role ${role} is not a role: use ${TEAM_ROLES.join(', ')}.`);
}

/** `view,deploy` → ['view', 'deploy'], in Heroku's order, each once. */
export function parsePermissions(text: string | undefined): AppPermission[] {
  if (text === undefined || text.trim() === '') throw new CliError(`Say which permissions with --permissions, e.g. --permissions view,deploy (of ${APP_PERMISSIONS.join(', ')}).`);
  const given = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = given.filter((p) => !(APP_PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new CliError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a permission' : 'are not permissions'}: use ${APP_PERMISSIONS.join(', ')}.`);
  return APP_PERMISSIONS.filter((p) => given.includes(p));
}

function requireTeam(team: string | undefined, example: string): string {
  if (team === undefined || team.trim() === '') throw new CliError(`Say which team with --team TEAM, e.g. ${example}.`);
  return team;
}

export async function teamsList(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const teams = await api(ctx).listTeams();
  ctx.out(opts.json ? format.json(teams) : teamsTable(teams, options(ctx)));
}

export async function teamsCreate(ctx: CommandContext, name: string): Promise<void> {
  const team = await api(ctx).createTeam(name);
  done(ctx, `Creating team ${format.colors(ctx.color).bold(team.name)}`);
  ctx.out(`Add members with: slipway members:add USER --team ${team.name} --role member`);
}

/**
 * `teams:permissions TEAM [--permissions view,deploy,operate]`: what the team's members may do on
 * each of its apps; shown without --permissions, set with it (team admins). View is always given.
 */
export async function teamsPermissions(ctx: CommandContext, name: string, opts: { permissions?: string }): Promise<void> {
  if (opts.permissions === undefined) {
    const team = (await api(ctx).listTeams()).find((t) => t.name === name);
    if (!team) throw new CliError(`No team named "${name}" that you belong to. Run \`slipway teams\` to list yours.`);
    ctx.out(`Members of ${team.name} may: ${team.memberPermissions.join(', ')}`);
    return;
  }
  const team = await api(ctx).setMemberPermissions(name, parsePermissions(opts.permissions));
  done(ctx, `Setting what members of ${format.colors(ctx.color).bold(team.name)} may do`);
  ctx.out(`Members of ${team.name} may now: ${team.memberPermissions.join(', ')} (on every app of the team, at once)`);
}

export async function membersList(ctx: CommandContext, opts: JsonOption & { team?: string }): Promise<void> {
  const team = requireTeam(opts.team, 'slipway members --team acme');
  const members = await api(ctx).listMembers(team);
  ctx.out(opts.json ? format.json(members) : membersTable(team, members, options(ctx)));
}

export async function membersAdd(ctx: CommandContext, user: string, opts: { team?: string; role?: string }): Promise<void> {
  const team = requireTeam(opts.team, `slipway members:add ${user} --team acme --role member`);
  const role = parseRole(opts.role);
  await api(ctx).addMember(team, user, role);
  done(ctx, `Adding ${format.colors(ctx.color).bold(user)} to ${team} as ${role}`);
}

export async function membersSet(ctx: CommandContext, user: string, opts: { team?: string; role?: string }): Promise<void> {
  const team = requireTeam(opts.team, `slipway members:set ${user} --team acme --role admin`);
  const role = parseRole(opts.role);
  await api(ctx).setMember(team, user, role);
  done(ctx, `Setting the role of ${format.colors(ctx.color).bold(user)} in ${team} to ${role}`);
}

export async function membersRemove(ctx: CommandContext, user: string, opts: { team?: string }): Promise<void> {
  const team = requireTeam(opts.team, `slipway members:remove ${user} --team acme`);
  await api(ctx).removeMember(team, user);
  done(ctx, `Removing ${format.colors(ctx.color).bold(user)} from ${team}`);
}

export async function appsList(ctx: CommandContext, opts: JsonOption & { team?: string }): Promise<void> {
  const apps = await api(ctx).listApps(opts.team);
  ctx.out(opts.json ? format.json(apps) : appsWithTeams(apps, options(ctx), opts.team));
}

export async function appsTransfer(ctx: CommandContext, app: string, team: string): Promise<void> {
  await api(ctx).transferApp(app, team);
  done(ctx, `Transferring ${format.colors(ctx.color).bold(app)} to ${team}`);
}

export async function accessList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const access = await api(ctx).access(app);
  ctx.out(opts.json ? format.json(access) : accessTable(access, options(ctx)));
}

export async function accessAdd(ctx: CommandContext, app: string, user: string, opts: { permissions?: string }): Promise<void> {
  const permissions = parsePermissions(opts.permissions);
  await api(ctx).addAccess(app, user, permissions);
  done(ctx, `Adding ${format.colors(ctx.color).bold(user)} to ${app} with ${permissions.join(', ')}`);
}

export async function accessRemove(ctx: CommandContext, app: string, user: string): Promise<void> {
  await api(ctx).removeAccess(app, user);
  done(ctx, `Removing ${format.colors(ctx.color).bold(user)} from ${app}`);
}
