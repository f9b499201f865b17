/**
 * The router's view of which host goes to which app, and which backends serve each app.
 *
 * Pure and I/O-free: it is fed etcd key/value pairs (see lib/etcd-keys.ts) and answers lookups.
 * Every operation is idempotent and order-independent (the same set of keys always yields the same
 * table), so replaying a change, or loading a snapshot that already contains it, is harmless.
 */
import { parseBackendValue, parseKey } from '../lib/etcd-keys';

/** One key as etcd stores it, both sides decoded as UTF-8. */
export interface RouteEntry {
  readonly key: string;
  readonly value: string;
}

/** One change seen on the etcd watch. */
export type RouteChange =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string };

export interface Backend {
  readonly app: string;
  readonly instanceId: string;
  /** Where requests go, e.g. http://127.0.0.1:32768 */
  readonly url: string;
  readonly release: number;
}

export interface RouteTableStats {
  readonly appCount: number;
  readonly hostCount: number;
  readonly backendCount: number;
}

/** What the proxy needs from the table; it never changes the routes itself. */
export interface RouteLookup {
  /** False until the first snapshot arrived: an empty table then means "unknown", not "no apps". */
  readonly loaded: boolean;
  appForHost(host: string): string | undefined;
  /**
   * The next backend of `app` in round-robin order, skipping instance ids in `exclude`
   * (backends that already failed for this request). Undefined when none is left.
   */
  nextBackend(app: string, exclude?: ReadonlySet<string>): Backend | undefined;
  backendCount(app: string): number;
  stats(): RouteTableStats;
}

/** The only process type that serves HTTP; other processes (workers) never get requests. */
const WEB_PROCESS = 'web';

interface AppRoutes {
  readonly domains: Set<string>;
  readonly backends: Map<string, Backend>;
  /** The backends in a stable order (by instance id), rebuilt on change so a pick is O(1). */
  rotation: Backend[];
  cursor: number;
}

/** The mutable maps behind a table; a snapshot builds a fresh one and swaps it in whole. */
class RouteState {
  readonly apps = new Map<string, AppRoutes>();
  /** Every app that has a domain key for a host; normally exactly one. */
  readonly hostClaims = new Map<string, Set<string>>();
  /** The winning claim per host, kept resolved so a lookup is a single map read. */
  readonly hostToApp = new Map<string, string>();
  backendTotal = 0;

  constructor(private readonly prefix: string) {}

  apply(change: RouteChange): void {
    const parsed = parseKey(this.prefix, change.key);
    if (parsed === null) return; // not ours, or a newer schema: ignored by contract
    if (parsed.kind === 'domain') {
      const host = parsed.host.toLowerCase();
      if (change.type === 'put') this.addDomain(parsed.app, host);
      else this.removeDomain(parsed.app, host);
      return;
    }
    const backend = change.type === 'put' ? toBackend(parsed.app, parsed.instanceId, change.value) : null;
    // A put whose value we cannot use replaces whatever the key held before, so it removes it.
    if (backend) this.setBackend(backend);
    else this.removeBackend(parsed.app, parsed.instanceId);
  }

  private routesOf(app: string): AppRoutes {
    let routes = this.apps.get(app);
    if (!routes) {
      routes = { domains: new Set(), backends: new Map(), rotation: [], cursor: 0 };
      this.apps.set(app, routes);
    }
    return routes;
  }

  private forgetIfEmpty(app: string, routes: AppRoutes): void {
    if (routes.domains.size === 0 && routes.backends.size === 0) this.apps.delete(app);
  }

  private addDomain(app: string, host: string): void {
    this.routesOf(app).domains.add(host);
    let claims = this.hostClaims.get(host);
    if (!claims) {
      claims = new Set();
      this.hostClaims.set(host, claims);
    }
    claims.add(app);
    this.resolveHost(host);
  }

  private removeDomain(app: string, host: string): void {
    const routes = this.apps.get(app);
    if (routes) {
      routes.domains.delete(host);
      this.forgetIfEmpty(app, routes);
    }
    const claims = this.hostClaims.get(host);
    if (!claims) return;
    claims.delete(app);
    if (claims.size === 0) this.hostClaims.delete(host);
    this.resolveHost(host);
  }

  /**
   * The engine never gives one host to two apps, but if etcd ever says so, the smallest app name
   * wins: a rule that depends only on the keys, not on the order they arrived in.
   */
  private resolveHost(host: string): void {
    const claims = this.hostClaims.get(host);
    if (!claims) {
      this.hostToApp.delete(host);
      return;
    }
    let winner: string | undefined;
    for (const app of claims) if (winner === undefined || app < winner) winner = app;
    if (winner === undefined) this.hostToApp.delete(host);
    else this.hostToApp.set(host, winner);
  }

  private setBackend(backend: Backend): void {
    const routes = this.routesOf(backend.app);
    const previous = routes.backends.get(backend.instanceId);
    if (previous && previous.url === backend.url && previous.release === backend.release) return;
    if (!previous) this.backendTotal += 1;
    routes.backends.set(backend.instanceId, backend);
    rebuildRotation(routes);
  }

  private removeBackend(app: string, instanceId: string): void {
    const routes = this.apps.get(app);
    if (!routes || !routes.backends.delete(instanceId)) return;
    this.backendTotal -= 1;
    rebuildRotation(routes);
    this.forgetIfEmpty(app, routes);
  }
}

function rebuildRotation(routes: AppRoutes): void {
  routes.rotation = [...routes.backends.values()].sort((a, b) => compareStrings(a.instanceId, b.instanceId));
  // Keep the cursor where it was so a change does not send the next request back to the first backend.
  routes.cursor = routes.rotation.length === 0 ? 0 : routes.cursor % routes.rotation.length;
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** A backend value the router can send traffic to, or null (bad JSON, not web, not an http URL). */
function toBackend(app: string, instanceId: string, raw: string): Backend | null {
  const value = parseBackendValue(raw);
  if (value === null || value.process !== WEB_PROCESS) return null;
  if (!isHttpUrl(value.url)) return null;
  return { app, instanceId, url: value.url, release: value.release };
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' && url.hostname !== '';
  } catch {
    return false;
  }
}

export class RouteTable implements RouteLookup {
  private state: RouteState;
  private loadedOnce = false;

  /** `prefix` is the etcd key prefix (config.etcdPrefix); keys outside it are ignored. */
  constructor(private readonly prefix: string) {
    this.state = new RouteState(prefix);
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Replaces everything with a consistent snapshot: what etcd held at one revision. */
  reset(entries: Iterable<RouteEntry>): void {
    const next = new RouteState(this.prefix);
    for (const entry of entries) next.apply({ type: 'put', key: entry.key, value: entry.value });
    // Carry each app's round-robin position over so a re-snapshot does not reshuffle traffic.
    for (const [app, routes] of next.apps) {
      const before = this.state.apps.get(app);
      if (before && routes.rotation.length > 0) routes.cursor = before.cursor % routes.rotation.length;
    }
    this.state = next;
    this.loadedOnce = true;
  }

  /** Applies one watched change; applying the same change twice leaves the same table. */
  apply(change: RouteChange): void {
    this.state.apply(change);
  }

  appForHost(host: string): string | undefined {
    return this.state.hostToApp.get(host);
  }

  nextBackend(app: string, exclude?: ReadonlySet<string>): Backend | undefined {
    const routes = this.state.apps.get(app);
    if (!routes) return undefined;
    const { rotation } = routes;
    for (let tried = 0; tried < rotation.length; tried += 1) {
      const backend = rotation[routes.cursor] as Backend;
      routes.cursor = (routes.cursor + 1) % rotation.length;
      if (!exclude || !exclude.has(backend.instanceId)) return backend;
    }
    return undefined;
  }

  backendCount(app: string): number {
    return this.state.apps.get(app)?.backends.size ?? 0;
  }

  /** Every backend of `app`, ordered by instance id (for tests and diagnostics). */
  backendsOf(app: string): readonly Backend[] {
    return this.state.apps.get(app)?.rotation ?? [];
  }

  /** The hosts that lead to `app`, sorted. */
  hostsOf(app: string): readonly string[] {
    const hosts = [...(this.state.apps.get(app)?.domains ?? [])];
    return hosts.filter((host) => this.state.hostToApp.get(host) === app).sort(compareStrings);
  }

  stats(): RouteTableStats {
    return {
      appCount: this.state.apps.size,
      hostCount: this.state.hostToApp.size,
      backendCount: this.state.backendTotal,
    };
  }
}
