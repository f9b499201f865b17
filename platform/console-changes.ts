/**
 * Feeds the console's change feed (engine/change-feed.ts) from the route keys in etcd: an instance
 * routed or drained, a domain or maintenance switched, by a git push, the reconciler or another
 * API replica. Changes of one app within 250 ms become one event.
 */
import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from '../lib/log';
import type { ChangeFeed } from '../engine/change-feed';

const COALESCE_MS = 250;

export async function watchRouteChanges(etcd: Etcd3, prefix: string, feed: ChangeFeed, logger: Logger): Promise<() => Promise<void>> {
  const appsPrefix = `${prefix}/apps/`;
  const pending = new Map<string, NodeJS.Timeout>();
  const note = (key: Buffer): void => {
    const app = key.toString('utf8').slice(appsPrefix.length).split('/')[0];
    if (!app || pending.has(app)) return;
    pending.set(app, setTimeout(() => { pending.delete(app); feed.publish('app', app); }, COALESCE_MS));
  };
  const watcher: Watcher = await etcd.watch().prefix(appsPrefix).create();
  watcher.on('put', (kv) => note(kv.key));
  watcher.on('delete', (kv) => note(kv.key));
  // The etcd client reconnects by itself; the console reloads its view when its own stream comes back.
  watcher.on('error', (error: unknown) => logger.warn({ err: error }, 'the console\'s watch of route changes failed; it is retried'));
  return async () => {
    for (const timer of pending.values()) clearTimeout(timer);
    pending.clear();
    await watcher.cancel();
  };
}
