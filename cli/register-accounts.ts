/** Commander wiring of the accounts commands (sign-in, users, tokens, teams, members, access, audit). */
import type { Command } from 'commander';
import { DURATION_HELP } from '../lib/duration';
import { APP_PERMISSIONS, TEAM_ROLES, TOKEN_SCOPES } from './accounts-types';
import { APP_ARG_HELP } from './app-arg';
import type { JsonOption } from './commands';
import * as auth from './commands-auth';
import type { AccountContext } from './commands-auth';
import { audit, AUDIT_DEFAULT_COUNT, type AuditOptions } from './commands-audit';
import * as teams from './commands-teams';

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

const ROLES = TEAM_ROLES.join('|');

export function registerAccountCommands(program: Command, ctx: AccountContext): void {
  program
    .command('login')
    .alias('auth:login')
    .description('sign in: asks for your name and password and stores a token for the CLI')
    .option('--username <name>', 'your user name (instead of being asked)')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .option('--api-url <url>', 'the Slipway API to sign in to (default: SLIPWAY_API_URL, or the one stored)')
    .addHelpText('after', examples('slipway login', 'printf %s "$PASSWORD" | slipway login --username alice --password-stdin'))
    .action((opts: auth.LoginOptions) => auth.login(ctx, opts));

  program
    .command('logout')
    .alias('auth:logout')
    .description('revoke the stored login token and forget it')
    .addHelpText('after', examples('slipway logout'))
    .action(() => auth.logout(ctx));

  program
    .command('auth:whoami')
    .alias('whoami')
    .description('who you are signed in as: name, teams, platform admin')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway auth:whoami'))
    .action((opts: JsonOption) => auth.authWhoami(ctx, opts));

  program
    .command('auth:token')
    .description('print the API token the CLI uses')
    .addHelpText('after', examples('curl -H "Authorization: Bearer $(slipway auth:token)" http://127.0.0.1:5080/api/v1/account'))
    .action(() => auth.authToken(ctx));

  program
    .command('auth:passwd')
    .alias('passwd')
    .description('change your password (asks the current one, then the new one twice); your other logins and console sessions end')
    .option('--password-stdin', 'read two lines from stdin: the current password, then the new one (for scripts)')
    .addHelpText('after', examples('slipway auth:passwd', 'printf "%s\\n%s\\n" "$OLD" "$NEW" | slipway auth:passwd --password-stdin'))
    .action((opts: { passwordStdin?: boolean }) => auth.authPasswd(ctx, opts));

  program
    .command('users')
    .description('list users (platform admins)')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway users'))
    .action((opts: JsonOption) => auth.usersList(ctx, opts));

  program
    .command('users:create')
    .description('create a user; without --password-stdin, prints a generated password once (platform admins)')
    .argument('<name>', 'the user name')
    .requiredOption('--email <email>', 'their email address (required)')
    .option('--password-stdin', 'read their password from stdin')
    .addHelpText('after', examples('slipway users:create alice --email alice@example.com'))
    .action((name: string, opts: { email: string; passwordStdin?: boolean }) => auth.usersCreate(ctx, name, opts));

  program
    .command('users:disable')
    .description('disable a user: their tokens and SSH keys stop working at once (platform admins)')
    .argument('<name>', 'the user name')
    .addHelpText('after', examples('slipway users:disable alice'))
    .action((name: string) => auth.usersDisable(ctx, name));

  program
    .command('users:enable')
    .description('enable a disabled user again: their SSH keys and unexpired tokens work again (platform admins)')
    .argument('<name>', 'the user name')
    .addHelpText('after', examples('slipway users:enable alice'))
    .action((name: string) => auth.usersEnable(ctx, name));

  program
    .command('users:reset-password')
    .description('give a user a new password, printed once (or from --password-stdin); their logins and console sessions end (platform admins)')
    .argument('<name>', 'the user name')
    .option('--password-stdin', 'read the new password from stdin instead of generating one')
    .addHelpText('after', examples('slipway users:reset-password alice'))
    .action((name: string, opts: { passwordStdin?: boolean }) => auth.usersResetPassword(ctx, name, opts));

  program
    .command('tokens')
    .description('list your API tokens (never their secret)')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway tokens'))
    .action((opts: JsonOption) => auth.tokensList(ctx, opts));

  program
    .command('tokens:create')
    .description('create an API token and print it once')
    .option('--expires <duration>', `when it expires: ${DURATION_HELP}`)
    .option('--scope <scope>', `what it may do: ${TOKEN_SCOPES.join('|')} (default: the server's)`)
    .option('--description <text>', 'what it is for')
    .addHelpText('after', examples('slipway tokens:create --expires 30d --scope deploy --description "CI deploys"'))
    .action((opts: auth.TokenCreateOptions) => auth.tokensCreate(ctx, opts));

  program
    .command('tokens:revoke')
    .description('revoke an API token: it stops working at once')
    .argument('<id>', 'the token id, as `slipway tokens` lists it')
    .addHelpText('after', examples('slipway tokens:revoke tok_3f2a'))
    .action((id: string) => auth.tokensRevoke(ctx, id));

  program
    .command('teams')
    .description('list the teams you belong to')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway teams'))
    .action((opts: JsonOption) => teams.teamsList(ctx, opts));

  program
    .command('teams:create')
    .description('create a team; you become its admin')
    .argument('<team>', 'the team name')
    .addHelpText('after', examples('slipway teams:create acme'))
    .action((name: string) => teams.teamsCreate(ctx, name));

  program
    .command('teams:permissions')
    .description("show or set what the team's members may do on each of its apps (view is always given; setting: team admins)")
    .argument('<team>', 'the team name')
    .option('--permissions <list>', `comma-separated, of ${APP_PERMISSIONS.join(', ')}`)
    .addHelpText('after', examples('slipway teams:permissions acme', 'slipway teams:permissions acme --permissions view,deploy'))
    .action((name: string, opts: { permissions?: string }) => teams.teamsPermissions(ctx, name, opts));

  program
    .command('members')
    .description("list a team's members and their roles")
    .option('-t, --team <team>', 'the team')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway members --team acme'))
    .action((opts: JsonOption & { team?: string }) => teams.membersList(ctx, opts));

  program
    .command('members:add')
    .description('add a user to a team with a role')
    .argument('<user>', 'the user name')
    .option('-t, --team <team>', 'the team')
    .option('--role <role>', ROLES)
    .addHelpText('after', examples('slipway members:add alice --team acme --role member'))
    .action((user: string, opts: { team?: string; role?: string }) => teams.membersAdd(ctx, user, opts));

  program
    .command('members:set')
    .description("change a member's role")
    .argument('<user>', 'the user name')
    .option('-t, --team <team>', 'the team')
    .option('--role <role>', ROLES)
    .addHelpText('after', examples('slipway members:set alice --team acme --role admin'))
    .action((user: string, opts: { team?: string; role?: string }) => teams.membersSet(ctx, user, opts));

  program
    .command('members:remove')
    .description('remove a user from a team')
    .argument('<user>', 'the user name')
    .option('-t, --team <team>', 'the team')
    .addHelpText('after', examples('slipway members:remove alice --team acme'))
    .action((user: string, opts: { team?: string }) => teams.membersRemove(ctx, user, opts));

  program
    .command('apps:transfer')
    .description('move an app to another team')
    .argument('[app]', APP_ARG_HELP)
    .argument('<team>', 'the team to move it to')
    .addHelpText('after', examples('slipway apps:transfer my-app acme', 'slipway apps:transfer -a my-app acme'))
    .action((app: string, team: string) => teams.appsTransfer(ctx, app, team));

  program
    .command('access')
    .description("list who may act on an app: its team's members with their permissions, and collaborators")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway access -a my-app'))
    .action((app: string, opts: JsonOption) => teams.accessList(ctx, app, opts));

  program
    .command('access:add')
    .description("give a user outside the app's team permissions on the app (a collaborator)")
    .argument('[app]', APP_ARG_HELP)
    .argument('<user>', 'the user name')
    .option('--permissions <list>', `comma-separated, of ${APP_PERMISSIONS.join(', ')}`)
    .addHelpText('after', examples('slipway access:add bob -a my-app --permissions view,deploy'))
    .action((app: string, user: string, opts: { permissions?: string }) => teams.accessAdd(ctx, app, user, opts));

  program
    .command('access:remove')
    .description("remove a collaborator's permissions on an app")
    .argument('[app]', APP_ARG_HELP)
    .argument('<user>', 'the user name')
    .addHelpText('after', examples('slipway access:remove bob -a my-app'))
    .action((app: string, user: string) => teams.accessRemove(ctx, app, user));

  program
    .command('audit')
    .description('the audit log: who did what, when, from where, and whether it was allowed')
    .option('-a, --app <app>', 'only this app')
    .option('--team <team>', 'only this team')
    .option('--user <user>', 'only this user')
    .option('--since <when>', 'only events since then: a duration back (1h, 7d) or a time')
    .option('-n, --num <count>', `how many of the latest events (default ${AUDIT_DEFAULT_COUNT})`)
    .option('-t, --tail', 'keep printing new events as they happen')
    .option('--json', 'print JSON (with -t: one event per line)')
    .addHelpText('after', examples('slipway audit -a my-app --since 1h', 'slipway audit --team acme -t'))
    .action((opts: AuditOptions) => audit(ctx, opts));
}
