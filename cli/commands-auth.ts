/**
 * Signing in and out (`login`, `logout`, `auth:whoami`, `auth:token`, `auth:passwd`), users
 * (`users`, `users:create`, `users:disable`, `users:enable`, `users:reset-password`) and API tokens (`tokens`,
 * `tokens:create`, `tokens:revoke`).
 */
import { parseDuration } from '../lib/duration';
import { AccountsApi } from './accounts-api';
import { TOKEN_SCOPES, type TokenScope } from './accounts-types';
import type { ApiClient } from './api-client';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { whoami, tokensTable, usersTable } from './format-accounts';
import type { Prompter } from './prompt';
import { checkApiUrl, forgetLogin, loginFilePath, readLogin, resolveApiUrl, resolveSettings, saveLogin, type Env } from './settings';

/** What the accounts commands need beyond the common context: the environment, stdin, stderr and a clock to wait on. */
export interface AccountContext extends CommandContext {
  env: Env;
  prompt: Prompter;
  /** A client for this API URL sending this token (null: none). */
  makeClient(apiUrl: string, token: string | null): ApiClient;
  /** A line on stderr: warnings, and what must not mix with stdout (a token's details). */
  warn(text: string): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Ends `audit -t`; none on the command line (Ctrl-C ends the process). */
  signal?: AbortSignal;
}

/** Shared with cli/commands-teams.ts: how the account commands format, call and report. */
export function formatOptions(ctx: CommandContext): format.FormatOptions {
  return { color: ctx.color, now: ctx.now() };
}

export function accountsApi(ctx: CommandContext): AccountsApi {
  return new AccountsApi(ctx.client());
}

const options = formatOptions;
const api = accountsApi;

export function done(ctx: CommandContext, doing: string): void {
  ctx.out(`${doing}... ${format.colors(ctx.color).green('done')}`);
}

/** Heroku's warning line, on stderr. */
export function warning(ctx: AccountContext, text: string): void {
  ctx.warn(format.colors(ctx.color).yellow(` ▸    ${text}`));
}

/** The password given on stdin: one line, its line ending dropped. */
export async function passwordFromStdin(prompt: Prompter): Promise<string> {
  const text = (await prompt.readAll()).replace(/\r?\n$/, '');
  if (text === '') throw new CliError('--password-stdin read no password: pipe it in, e.g. printf %s "$PASSWORD" | slipway login --username NAME --password-stdin.');
  if (/[\r\n]/.test(text)) throw new CliError('--password-stdin read more than one line: give the password alone.');
  return text;
}

export interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  apiUrl?: string;
}

export async function login(ctx: AccountContext, opts: LoginOptions): Promise<void> {
  const apiUrl = opts.apiUrl !== undefined ? checkApiUrl(opts.apiUrl) : resolveApiUrl({ env: ctx.env, homeDir: ctx.homeDir });
  if (opts.passwordStdin && opts.username === undefined) {
    throw new CliError('--password-stdin needs --username NAME (stdin holds the password, so the name cannot be asked).');
  }
  if (!opts.passwordStdin && !ctx.prompt.interactive) {
    throw new CliError('stdin is not a terminal, so nothing can be asked: use --username NAME --password-stdin.');
  }
  const name = (opts.username ?? await ctx.prompt.ask('Name: ')).trim();
  if (name === '') throw new CliError('No user name given.');
  const password = opts.passwordStdin ? await passwordFromStdin(ctx.prompt) : await ctx.prompt.askHidden('Password: ');
  if (password === '') throw new CliError('No password given.');

  const result = await new AccountsApi(ctx.makeClient(apiUrl, null)).login(name, password);
  saveLogin({ apiUrl, token: result.token, user: result.user.name, tokenId: result.tokenId }, ctx.homeDir);
  ctx.out(`Logged in as ${format.colors(ctx.color).bold(result.user.name)}`);
  if (ctx.env.SLIPWAY_TOKEN?.trim()) warning(ctx, 'SLIPWAY_TOKEN is set and wins over this login: unset it to use the login.');
}

export async function logout(ctx: AccountContext): Promise<void> {
  const stored = readLogin(ctx.homeDir);
  if (stored === null) {
    ctx.out(`Not logged in (there is no ${loginFilePath(ctx.homeDir)}).`);
  } else {
    const apiUrl = stored.apiUrl ?? resolveApiUrl({ env: ctx.env, homeDir: ctx.homeDir });
    try {
      await new AccountsApi(ctx.makeClient(apiUrl, stored.token)).logout();
    } catch (error) {
      // A token the API no longer accepts is already as good as revoked.
      if (!(error instanceof CliError) || error.status !== 401) {
        forgetLogin(ctx.homeDir);
        const which = stored.tokenId ? `token ${stored.tokenId}` : 'the login token';
        throw new CliError(`Forgot the login here, but could not revoke it on the server (${error instanceof Error ? error.message : String(error)}): revoke ${which} with slipway tokens:revoke once the API answers.`);
      }
    }
    forgetLogin(ctx.homeDir);
    done(ctx, 'Logging out');
  }
  if (ctx.env.SLIPWAY_TOKEN?.trim()) warning(ctx, 'SLIPWAY_TOKEN is still set: commands keep using it until you unset it.');
}

export async function authWhoami(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const account = await api(ctx).account();
  ctx.out(opts.json ? format.json(account) : whoami(account, options(ctx)));
}

/** Prints the token the CLI uses, for `curl -H "Authorization: Bearer $(slipway auth:token)"`. */
export function authToken(ctx: AccountContext): void {
  const settings = resolveSettings({ env: ctx.env, homeDir: ctx.homeDir });
  ctx.out(settings.token);
}

/** What ended besides the credential in use, said plainly. */
function loginsEndedLine(count: number, whose: string, other: boolean): string {
  if (count === 0) return `No ${other ? 'other ' : ''}login of ${whose} was open.`;
  return `${count} ${count === 1 ? 'login' : 'logins'} of ${whose} (CLI logins, console sessions) ended; API tokens and SSH keys are kept.`;
}

/**
 * `auth:passwd` (Deis Workflow's name; also `passwd`): the current password, then the new one
 * twice, none echoed. With --password-stdin, two lines: the current password, then the new one.
 */
export async function authPasswd(ctx: AccountContext, opts: { passwordStdin?: boolean }): Promise<void> {
  let current: string;
  let next: string;
  if (opts.passwordStdin) {
    const lines = (await ctx.prompt.readAll()).replace(/\r?\n$/, '').split(/\r?\n/);
    if (lines.length !== 2 || lines.some((line) => line === '')) {
      throw new CliError('--password-stdin reads two lines: the current password, then the new one. Nothing was changed.');
    }
    [current, next] = lines as [string, string];
  } else {
    if (!ctx.prompt.interactive) throw new CliError('stdin is not a terminal, so nothing can be asked: use --password-stdin (two lines: the current password, then the new one).');
    current = await ctx.prompt.askHidden('Current password: ');
    if (current === '') throw new CliError('No password given. Nothing was changed.');
    next = await ctx.prompt.askHidden('New password: ');
    if ((await ctx.prompt.askHidden('New password again: ')) !== next) throw new CliError('The two new passwords differ. Nothing was changed.');
  }
  const changed = await api(ctx).changePassword(current, next);
  done(ctx, 'Changing your password');
  ctx.out(loginsEndedLine(changed.loginsEnded, 'yours', true));
}

/** `users:reset-password NAME` (platform admins): a generated password, printed once, unless given on stdin. */
export async function usersResetPassword(ctx: AccountContext, name: string, opts: { passwordStdin?: boolean }): Promise<void> {
  const password = opts.passwordStdin ? await passwordFromStdin(ctx.prompt) : undefined;
  const reset = await api(ctx).resetPassword(name, password);
  done(ctx, `Resetting the password of ${format.colors(ctx.color).bold(reset.user)}`);
  ctx.out(loginsEndedLine(reset.loginsEnded, reset.user, false));
  if (reset.password !== null) {
    ctx.out(`Generated password: ${reset.password}`);
    warning(ctx, `Give it to ${reset.user}: it will not be shown again. They sign in with slipway login, then change it with slipway auth:passwd.`);
  }
}

export async function usersList(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const users = await api(ctx).listUsers();
  ctx.out(opts.json ? format.json(users) : usersTable(users, options(ctx)));
}

export async function usersCreate(ctx: AccountContext, name: string, opts: { email: string; passwordStdin?: boolean }): Promise<void> {
  const password = opts.passwordStdin ? await passwordFromStdin(ctx.prompt) : undefined;
  const created = await api(ctx).createUser(name, opts.email, password);
  done(ctx, `Creating user ${format.colors(ctx.color).bold(created.user.name)}`);
  if (created.password !== null) {
    ctx.out(`Generated password: ${created.password}`);
    warning(ctx, `Give it to ${created.user.name}: it will not be shown again. They sign in with slipway login, then change it with slipway auth:passwd.`);
  }
}

export async function usersDisable(ctx: CommandContext, name: string): Promise<void> {
  await api(ctx).disableUser(name);
  done(ctx, `Disabling user ${format.colors(ctx.color).bold(name)}`);
  ctx.out('Their tokens and SSH keys stopped working.');
}

export async function usersEnable(ctx: CommandContext, name: string): Promise<void> {
  await api(ctx).enableUser(name);
  done(ctx, `Enabling user ${format.colors(ctx.color).bold(name)}`);
  ctx.out('Their SSH keys and unexpired tokens work again; console sessions the disable ended stay ended.');
}

export async function tokensList(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const tokens = await api(ctx).listTokens();
  ctx.out(opts.json ? format.json(tokens) : tokensTable(tokens, options(ctx)));
}

export function parseScope(scope: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(scope)) return scope as TokenScope;
  throw new CliError(`--scope ${scope} is not a scope: use ${TOKEN_SCOPES.join(', ')}.`);
}

export interface TokenCreateOptions {
  expires?: string;
  scope?: string;
  description?: string;
}

/** The token alone on stdout (for scripts), what it is and the warning on stderr. */
export async function tokensCreate(ctx: AccountContext, opts: TokenCreateOptions): Promise<void> {
  let expiresIn: number | undefined;
  if (opts.expires !== undefined) {
    const seconds = parseDuration(opts.expires);
    if (seconds === null) throw new CliError(`--expires ${opts.expires} is not a duration: use a number and a unit, e.g. 12h, 30d or 2w.`);
    expiresIn = seconds;
  }
  const scope = opts.scope === undefined ? undefined : parseScope(opts.scope);
  const created = await api(ctx).createToken({
    ...(scope === undefined ? {} : { scope }),
    ...(opts.description === undefined ? {} : { description: opts.description }),
    ...(expiresIn === undefined ? {} : { expiresIn }),
  });
  // The date itself: "in 29 days" for a token asked for 30 days would read as a mistake.
  const expires = created.expiresAt === null ? 'never expires' : `expires ${created.expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  ctx.warn(`Created token ${created.id} (scope ${created.scope}, ${expires}):`);
  ctx.out(created.token);
  warning(ctx, 'Copy it now: it will not be shown again.');
}

export async function tokensRevoke(ctx: CommandContext, id: string): Promise<void> {
  await api(ctx).revokeToken(id);
  done(ctx, `Revoking token ${format.colors(ctx.color).bold(id)}`);
}
