/**
 * Persistent volumes: `storage`, `storage:mount`, `storage:unmount` (docs/storage.md), Dokku's
 * names with Heroku's `-a APP`. Mounting and unmounting restart the app's instances (a release), so
 * the command says so first and answers once the new release serves.
 */
import type { Command } from 'commander';
import type { MountChangeJson, MountJson, MountRequest } from '../api/schemas/storage';
import { APP_ARG_HELP } from './app-arg';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';

/** Mounting and unmounting answer once the release rolled out. */
const ROLLOUT_TIMEOUT_MS = 10 * 60_000;
const e = encodeURIComponent;

/** The storage calls of the API, typed from api/schemas/storage.ts. */
export class StorageClient {
  constructor(private readonly ctx: CommandContext) {}

  list(app: string): Promise<MountJson[]> {
    return this.ctx.client().call('GET', `/apps/${e(app)}/storage`);
  }

  mount(app: string, body: MountRequest): Promise<MountChangeJson> {
    return this.ctx.client().call('POST', `/apps/${e(app)}/storage`, body, ROLLOUT_TIMEOUT_MS);
  }

  unmount(app: string, path: string, type: string | undefined, destroyData: boolean): Promise<MountChangeJson> {
    const query = new URLSearchParams({ path });
    if (type !== undefined) query.set('type', type);
    if (destroyData) query.set('destroyData', 'true');
    return this.ctx.client().call('DELETE', `/apps/${e(app)}/storage?${query.toString()}`, undefined, ROLLOUT_TIMEOUT_MS);
  }
}

/** `1g`, `512m`, or a dash. */
export function sizeLabel(sizeMb: number | null): string {
  if (sizeMb === null) return '-';
  return sizeMb % 1024 === 0 ? `${sizeMb / 1024}g` : `${sizeMb}m`;
}

export function mountsTable(app: string, mounts: readonly MountJson[], color: boolean): string {
  if (mounts.length === 0) return `${app} has no volumes. Mount one with: slipway storage:mount -a ${app} /data`;
  const c = format.colors(color);
  const rows = mounts.map((m) => [m.processType, m.path, m.state === 'mounted' ? c.green('mounted') : c.yellow('unmounted (data kept)'),
    sizeLabel(m.sizeMb), m.volume]);
  return `=== ${c.bold(app)} volumes\n${format.table(['TYPE', 'PATH', 'STATE', 'SIZE', 'VOLUME'], rows, color)}`;
}

function outcome(ctx: CommandContext, app: string, change: MountChangeJson): string {
  const done = format.colors(ctx.color).green('done');
  return change.release === null ? `${done} (${app} is not deployed yet: its first release gets it)` : `${done}, v${change.release}`;
}

export async function storageList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const mounts = await new StorageClient(ctx).list(app);
  ctx.out(opts.json ? format.json(mounts) : mountsTable(app, mounts, ctx.color));
}

export async function storageMount(ctx: CommandContext, app: string, path: string, opts: { size?: string; type?: string }): Promise<void> {
  const c = format.colors(ctx.color);
  const type = opts.type ?? 'web';
  ctx.out(`Mounting a volume at ${c.bold(path)} in ${type} processes of ${c.bold(app)} and restarting them...`);
  const change = await new StorageClient(ctx).mount(app, { path, ...(opts.type ? { type: opts.type } : {}), ...(opts.size ? { size: opts.size } : {}) });
  ctx.out(outcome(ctx, app, change));
  if (change.mount.sizeMb !== null) {
    ctx.out(c.dim(`Size ${sizeLabel(change.mount.sizeMb)} recorded; Docker volumes are not limited to it (see docs/storage.md).`));
  }
}

export async function storageUnmount(ctx: CommandContext, app: string, path: string, opts: { type?: string; destroyData?: boolean }): Promise<void> {
  const c = format.colors(ctx.color);
  const type = opts.type ?? 'web';
  ctx.out(`Unmounting ${c.bold(path)} from ${type} processes of ${c.bold(app)} and restarting them...`);
  const change = await new StorageClient(ctx).unmount(app, path, opts.type, opts.destroyData === true);
  ctx.out(outcome(ctx, app, change));
  ctx.out(change.dataDestroyed
    ? `The volume ${change.mount.volume} and its data were destroyed.`
    : `The data is kept in ${change.mount.volume}: mount ${path} again to get it back, or remove it with --destroy-data.`);
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** The storage commands; `[app]` first, so main.ts's markAppCommands gives them `-a APP`. */
export function registerStorageCommands(program: Command, ctx: CommandContext): void {
  program.command('storage')
    .description('list the app\'s volumes: process type, path, state, recorded size, Docker volume')
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway storage -a my-app', 'slipway storage -a my-app --json'))
    .action((app: string, opts: JsonOption) => storageList(ctx, app, opts));

  program.command('storage:mount')
    .description('mount a persistent volume at PATH in every instance of a process type (shared by them); restarts them')
    .argument('[app]', APP_ARG_HELP)
    .argument('<path>', 'absolute path inside the containers, e.g. /data (not /app, where the code is, nor a system folder)')
    .option('--type <type>', 'the process type whose instances get it', 'web')
    .option('--size <size>', 'the size to record, e.g. 1g or 512m (not enforced by Docker volumes, see docs/storage.md)')
    .addHelpText('after', examples('slipway storage:mount -a my-app /data', 'slipway storage:mount -a my-app /var/lib/queue --type worker --size 1g'))
    .action((app: string, path: string, opts: { size?: string; type?: string }) => storageMount(ctx, app, path, opts));

  program.command('storage:unmount')
    .description('unmount the volume at PATH (restarts the instances); its data is kept unless --destroy-data')
    .argument('[app]', APP_ARG_HELP)
    .argument('<path>', 'the mounted path, e.g. /data')
    .option('--type <type>', 'the process type it is mounted in', 'web')
    .option('--destroy-data', 'also delete the volume and everything in it')
    .addHelpText('after', examples('slipway storage:unmount -a my-app /data', 'slipway storage:unmount -a my-app /data --destroy-data'))
    .action((app: string, path: string, opts: { type?: string; destroyData?: boolean }) => storageUnmount(ctx, app, path, opts));
}
