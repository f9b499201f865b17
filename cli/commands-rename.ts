/**
 * `apps:rename OLD NEW` (Heroku's apps:rename): the app keeps its config, releases, formation and
 * custom domains; its URL and git URL change. In a repository whose `slipway` remote points at
 * OLD, the remote is pointed at NEW; otherwise the command says how to do it.
 */
import { execFile } from 'node:child_process';
import type { CommandContext } from './commands';
import { gitUrl } from './commands';
import * as format from './format';
import { setRemote } from './git';

const REMOTE = 'slipway';

/** The URL of a remote of the repository at cwd, or null (no repository, no such remote, no git). */
function remoteUrl(cwd: string, remote: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['remote', 'get-url', remote], { cwd, encoding: 'utf8', windowsHide: true }, (error, stdout) => {
      resolve(error ? null : stdout.trim());
    });
  });
}

/** Whether a git URL is the one of app `name` (any host: the remote may use another address of this platform). */
export function pointsAtApp(url: string, name: string): boolean {
  return url.replace(/\/+$/, '').endsWith(`/${name}.git`) || url.replace(/\/+$/, '').endsWith(`/${name}`);
}

export async function appsRename(ctx: CommandContext, from: string, to: string): Promise<void> {
  const client = ctx.client();
  const app = await client.renameApp(from, to);
  const c = format.colors(ctx.color);
  ctx.out(`Renaming ${c.bold(from)} to ${c.bold(app.name)}... ${c.green('done')}`);
  ctx.out(`${app.url} | ${app.gitUrl}`);
  const current = await remoteUrl(ctx.cwd, REMOTE);
  if (current !== null && pointsAtApp(current, from)) {
    const url = gitUrl(await client.info(), app.name, client.apiUrl);
    await setRemote(ctx.cwd, REMOTE, url);
    ctx.out(`Git remote ${c.bold(REMOTE)} updated: ${url}`);
  } else {
    ctx.out(`Point your git remote at it: slipway git:remote ${app.name} (or git remote set-url ${REMOTE} ${app.gitUrl})`);
  }
}
