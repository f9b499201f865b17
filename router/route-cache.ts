/**
 * The router's local copy of its routes: every key under `<prefix>/apps/` with its mod revision and
 * value, as of one etcd revision, in one JSON file in the state directory.
 *
 * A restarted router reads it (if it is younger than SLIPWAY_ROUTER_CACHE_MAX_AGE) and serves
 * from it at once, reported as not yet in step with etcd; its first etcd snapshot then reaches the
 * table as the exact difference (by mod revision), or whole if etcd is another cluster. Reading
 * tens of thousands of keys from etcd takes longer than reading this file, and etcd may be away.
 *
 * Written atomically (temporary file, then rename), so a reader never sees half a file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROUTE_CACHE_VERSION = 1;

export interface RouteCacheData {
  readonly version: typeof ROUTE_CACHE_VERSION;
  readonly prefix: string;
  /** etcd's cluster id: mod revisions only compare within one cluster. */
  readonly clusterId: string;
  readonly revision: number;
  /** When it was written (ms since the epoch): the table is at least this stale when loaded. */
  readonly writtenAt: number;
  readonly keys: readonly string[];
  readonly mods: readonly number[];
  readonly values: readonly string[];
}

export interface RouteCacheOptions {
  readonly file: string;
  /** An older file is not used (routes that old may point at ports reused since). */
  readonly maxAgeMs: number;
  /** This process keeps the file up to date (in a cluster, one worker does). */
  readonly write: boolean;
}

/** One file per prefix and etcd endpoint list, so routers of different clusters never mix. */
export function routeCacheFile(stateDir: string, prefix: string, etcdUrls: readonly string[]): string {
  const id = createHash('sha256').update(`${prefix}\n${etcdUrls.join(',')}`).digest('hex').slice(0, 16);
  return path.join(stateDir, 'router', `routes-${id}.json`);
}

/** The cache if it is there, readable, for this prefix and young enough; null otherwise. */
export function readRouteCache(file: string, prefix: string, maxAgeMs: number, now: number): RouteCacheData | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(raw) as Partial<RouteCacheData>;
    if (data.version !== ROUTE_CACHE_VERSION || data.prefix !== prefix) return null;
    if (typeof data.writtenAt !== 'number' || now - data.writtenAt > maxAgeMs || data.writtenAt > now + 60_000) return null;
    if (typeof data.clusterId !== 'string' || typeof data.revision !== 'number') return null;
    const { keys, mods, values } = data;
    if (!Array.isArray(keys) || !Array.isArray(mods) || !Array.isArray(values)) return null;
    if (keys.length !== mods.length || keys.length !== values.length) return null;
    return data as RouteCacheData;
  } catch {
    return null;
  }
}

export async function writeRouteCache(file: string, data: RouteCacheData): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(temporary, JSON.stringify(data), { mode: 0o600 });
  await fs.promises.rename(temporary, file);
}
