/** storage, storage:mount, storage:unmount: what the CLI sends and prints (over a recording client). */
import { expect } from 'chai';
import type { ApiClient } from '../../../cli/api-client';
import { ARG_SHAPES } from '../../../cli/app-arg';
import type { CommandContext } from '../../../cli/commands';
import { mountsTable, sizeLabel, storageMount, storageUnmount } from '../../../cli/commands-storage';

function context(answer: unknown): { ctx: CommandContext; calls: Array<[string, string, unknown]>; lines: string[] } {
  const calls: Array<[string, string, unknown]> = [];
  const lines: string[] = [];
  const client = { call: async (method: string, path: string, body?: unknown) => { calls.push([method, path, body]); return answer; } };
  const ctx: CommandContext = {
    client: () => client as unknown as ApiClient, out: (text) => lines.push(text), color: false,
    now: () => new Date(0), cwd: '/', homeDir: '/',
  };
  return { ctx, calls, lines };
}

const mount = { path: '/data', processType: 'web', volume: 'slipway-p-t1-a2-web-ab12', sizeMb: 1024, state: 'mounted' as const, createdAt: '2026-01-01T00:00:00.000Z' };

describe('cli storage commands', () => {
  it('mounts with the path, type and size, and says which release serves it', async () => {
    const { ctx, calls, lines } = context({ mount, release: 5, dataDestroyed: false });
    await storageMount(ctx, 'shop', '/data', { type: 'web', size: '1g' });
    expect(calls).to.deep.equal([['POST', '/apps/shop/storage', { path: '/data', type: 'web', size: '1g' }]]);
    expect(lines[0]).to.equal('Mounting a volume at /data in web processes of shop and restarting them...');
    expect(lines[1]).to.equal('done, v5');
    expect(lines[2]).to.include('not limited');
  });

  it('unmounts by query, keeping the data unless --destroy-data, and says which', async () => {
    const kept = context({ mount: { ...mount, state: 'unmounted' }, release: 6, dataDestroyed: false });
    await storageUnmount(kept.ctx, 'shop', '/data', { type: 'web' });
    expect(kept.calls[0]!.slice(0, 2)).to.deep.equal(['DELETE', '/apps/shop/storage?path=%2Fdata&type=web']);
    expect(kept.lines.at(-1)).to.include('The data is kept in slipway-p-t1-a2-web-ab12');
    const gone = context({ mount: { ...mount, state: 'unmounted' }, release: null, dataDestroyed: true });
    await storageUnmount(gone.ctx, 'shop', '/data', { type: 'worker', destroyData: true });
    expect(gone.calls[0]![1]).to.equal('/apps/shop/storage?path=%2Fdata&type=worker&destroyData=true');
    expect(gone.lines.at(-1)).to.include('were destroyed');
  });

  it('lists mounts as a table, and says how to mount when there is none', () => {
    const table = mountsTable('shop', [mount, { ...mount, path: '/old', sizeMb: null, state: 'unmounted' }], false);
    expect(table).to.include('=== shop volumes').and.include('/data').and.include('1g').and.include('unmounted (data kept)');
    expect(mountsTable('shop', [], false)).to.equal('shop has no volumes. Mount one with: slipway storage:mount -a shop /data');
    expect(sizeLabel(512)).to.equal('512m');
  });

  it('tells a path from an app name when -a is not given', () => {
    expect(ARG_SHAPES['storage:mount']!('/data')).to.equal('arg');
    expect(ARG_SHAPES['storage:unmount']!('shop')).to.equal('app');
  });
});
