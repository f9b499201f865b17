/** `open` (the app's URL, in a browser when there is one) and `status` (platform health). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PlatformStatusView } from './api-types';
import { CliError } from './cli-error';
import type { CommandContext } from './commands';
import * as format from './format';

/** The command that shows a URL in a browser here, or null: $BROWSER, else xdg-open/open on a desktop. */
export function browserCommand(env: format.Env, platform: NodeJS.Platform, onPath: (name: string) => boolean): string[] | null {
  const browser = env.BROWSER?.trim();
  if (browser) return browser.split(/\s+/);
  if (platform === 'darwin') return ['open'];
  if ((env.DISPLAY || env.WAYLAND_DISPLAY) && onPath('xdg-open')) return ['xdg-open'];
  return null;
}

export function onPath(env: format.Env): (name: string) => boolean {
  return (name) => (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The app's URL, `/path` appended: `slipway open -a shop /admin`. */
export function appUrl(base: string, urlPath: string | undefined): string {
  if (urlPath === undefined || urlPath === '') return base;
  return `${base.replace(/\/+$/, '')}/${urlPath.replace(/^\/+/, '')}`;
}

export async function open(ctx: CommandContext, app: string, urlPath: string | undefined, browser: string[] | null): Promise<void> {
  const { url } = await ctx.client().getApp(app);
  const target = appUrl(url, urlPath);
  ctx.out(target);
  if (browser === null) return;
  // Spawned with an argument array (no shell), detached: the browser outlives the command.
  await new Promise<void>((resolve) => {
    const child = spawn(browser[0]!, [...browser.slice(1), target], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve()); // no browser after all: the URL is printed
    child.once('spawn', () => { child.unref(); resolve(); });
  });
}

const LABELS: Record<string, string> = {
  api: 'API', database: 'Database', etcd: 'etcd', registry: 'Registry', docker: 'Docker', router: 'Router',
};

export function statusLines(view: PlatformStatusView, color: boolean): string {
  const c = format.colors(color);
  const width = Math.max(...view.components.map((entry) => (LABELS[entry.component] ?? entry.component).length));
  return view.components
    .map((entry) => `${(LABELS[entry.component] ?? entry.component).padEnd(width)}  ${entry.ok ? c.green('ok  ') : c.red('down')}  ${entry.detail}`)
    .join('\n');
}

/** One line per component; exits 1 (after printing them all) when any is down. */
export async function status(ctx: CommandContext, opts: { json?: boolean }): Promise<void> {
  const view = await ctx.client().status();
  ctx.out(opts.json ? format.json(view) : statusLines(view, ctx.color));
  const down = view.components.filter((entry) => !entry.ok).map((entry) => LABELS[entry.component] ?? entry.component);
  if (down.length > 0) throw new CliError(`${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not answering: see the lines above.`);
}
