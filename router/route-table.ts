/**
 * The router's view of which host goes to which app, and which backends serve each app.
 *
 * Pure and I/O-free: it is fed etcd key/value pairs (see lib/etcd-keys.ts) and answers lookups.
 * Every change is idempotent and order-independent (the same set of keys always yields the same
 * routes), so replaying a change, or loading a snapshot that already contains it, is harmless.
 *
 * Lookups are constant-time: a host is one Map read (two for a wildcard domain), and an app's
 * backends are an array kept sorted by instance id, so a round-robin pick is O(1) and a
 * least-connections pick is O(backends of that app).
 */
import { parseBackendValue, parseKey, parseMaintenanceValue, wildcardFor } from '../lib/etcd-keys';

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

export type BalancePolicy = 'round-robin' | 'least-connections';

/**
 * A backend as the table keeps it: the etcd value, where to connect, and what this process knows
 * about it (requests in flight, passive health). The proxy holds on to the entry for the length
 * of a request, so an entry withdrawn from etcd still counts down its in-flight requests.
 */
export class BackendEntry implements Backend {
  /** Requests this process has in flight to it (least-connections reads this). */
  active = 0;
  /** Until when (ms since the epoch) it gets no requests because it refused a connection. */
  ejectedUntil = 0;
  /** Gone from the table (withdrawn from etcd, or replaced by an entry with another URL). */
  withdrawn = false;

  constructor(
    readonly app: string,
    readonly instanceId: string,
    readonly url: string,
    public release: number,
    /** Host name or address to connect to, parsed once from `url`. */
    readonly hostname: string,
    readonly port: number,
  ) {}
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
  /** The app served at `host` (already normalized: lowercase, no port), exact name first, then `*.parent`. */
  appForHost(host: string): string | undefined;
  /**
   * The next backend of `app` by the table's balancing policy, skipping instance ids in
   * `exclude` (backends that already failed for this request) and, while any other is left,
   * ejected ones. Undefined when none is left.
   */
  nextBackend(app: string, exclude?: ReadonlySet<string>): BackendEntry | undefined;
  backendCount(app: string): number;
  /** The app is in maintenance mode: its requests get the maintenance page, not a backend. */
  inMaintenance(app: string): boolean;
  stats(): RouteTableStats;
}

export interface RouteTableOptions {
  readonly balance?: BalancePolicy;
  /** Milliseconds since the epoch; a seam for tests of ejection. */
  readonly clock?: () => number;
}

/** The only process type that serves HTTP; other processes (workers) never get requests. */
const WEB_PROCESS = 'web';

interface AppRoutes {
  /** Hosts this app claims (usually one or two). */
  readonly domains: string[];
  /** Sorted by instance id: the round-robin order. Changed in place, never while a pick runs. */
  readonly backends: BackendEntry[];
  cursor: number;
}

/** The mutable maps behind a table. */
class RouteState {
  readonly apps = new Map<string, AppRoutes>();
  /** Every app that has a domain key for a host; normally exactly one. */
  readonly hostClaims = new Map<string, string[]>();
  /** The winning claim per host, kept resolved so a lookup is a single map read. */
  readonly hostToApp = new Map<string, string>();
  /** Apps whose maintenance key is on. */
  readonly maintenance = new Set<string>();
  backendTotal = 0;
  /** Told of every entry that leaves the table. */
  onWithdraw: ((backend: BackendEntry) => void) | null = null;

  constructor(private readonly prefix: string) {}

  /** A put (`value` set) or a delete (`value` null) of one key. */
  apply(key: string, value: string | null): void {
    const parsed = parseKey(this.prefix, key);
    // Not ours, or a kind of key the table does not route by (certificates, settings, a newer
    // schema): ignored by contract.
    if (parsed === null) return;
    if (parsed.kind === 'maintenance') {
      if (value !== null && parseMaintenanceValue(value)) this.maintenance.add(parsed.app);
      else this.maintenance.delete(parsed.app);
      return;
    }
    if (parsed.kind === 'domain') {
      const host = parsed.host.toLowerCase();
      if (value !== null) this.addDomain(parsed.app, host);
      else this.removeDomain(parsed.app, host);
    } else if (parsed.kind === 'backend') {
      const backend = value !== null ? toBackend(parsed.app, parsed.instanceId, value) : null;
      // A put whose value we cannot use replaces whatever the key held before, so it removes it.
      if (backend) this.setBackend(backend);
      else this.removeBackend(parsed.app, parsed.instanceId);
    }
  }

  routesOf(app: string): AppRoutes {
    let routes = this.apps.get(app);
    if (!routes) {
      routes = { domains: [], backends: [], cursor: 0 };
      this.apps.set(app, routes);
    }
    return routes;
  }

  private forgetIfEmpty(app: string, routes: AppRoutes): void {
    if (routes.domains.length === 0 && routes.backends.length === 0) this.apps.delete(app);
  }

  private addDomain(app: string, host: string): void {
    const routes = this.routesOf(app);
    if (!routes.domains.includes(host)) routes.domains.push(host);
    const claims = this.hostClaims.get(host);
    if (!claims) this.hostClaims.set(host, [app]);
    else if (!claims.includes(app)) claims.push(app);
    this.resolveHost(host);
  }

  private removeDomain(app: string, host: string): void {
    const routes = this.apps.get(app);
    if (routes) {
      removeItem(routes.domains, host);
      this.forgetIfEmpty(app, routes);
    }
    const claims = this.hostClaims.get(host);
    if (!claims) return;
    removeItem(claims, app);
    if (claims.length === 0) this.hostClaims.delete(host);
    this.resolveHost(host);
  }

  /**
   * The engine never gives one host to two apps, but if etcd ever says so, the smallest app name
   * wins: a rule that depends only on the keys, not on the order they arrived in.
   */
  private resolveHost(host: string): void {
    const claims = this.hostClaims.get(host);
    let winner: string | undefined;
    if (claims) for (const app of claims) if (winner === undefined || app < winner) winner = app;
    if (winner === undefined) this.hostToApp.delete(host);
    else this.hostToApp.set(host, winner);
  }

  setBackend(backend: BackendEntry): void {
    const routes = this.routesOf(backend.app);
    const { backends } = routes;
    const index = findIndex(backends, backend.instanceId);
    const previous = index < backends.length ? backends[index] : undefined;
    if (previous && previous.instanceId === backend.instanceId) {
      // Same place: keep the entry (and its in-flight count and health) unless it moved.
      if (previous.url === backend.url) {
        previous.release = backend.release;
      } else {
        backends[index] = backend;
        this.withdraw(previous);
      }
      return;
    }
    backends.splice(index, 0, backend);
    this.backendTotal += 1;
    // Keep the cursor on the backend it pointed at, so a change does not skip or repeat one.
    if (index < routes.cursor) routes.cursor += 1;
  }

  private removeBackend(app: string, instanceId: string): void {
    const routes = this.apps.get(app);
    if (!routes) return;
    const { backends } = routes;
    const index = findIndex(backends, instanceId);
    if (index >= backends.length || backends[index]?.instanceId !== instanceId) return;
    const [removed] = backends.splice(index, 1);
    if (removed) this.withdraw(removed);
    this.backendTotal -= 1;
    if (index < routes.cursor) routes.cursor -= 1;
    if (routes.cursor >= backends.length) routes.cursor = 0;
    this.forgetIfEmpty(app, routes);
  }

  withdraw(backend: BackendEntry): void {
    backend.withdrawn = true;
    this.onWithdraw?.(backend);
  }
}

/** Where `instanceId` is, or would be inserted, in a list sorted by instance id. */
function findIndex(backends: readonly BackendEntry[], instanceId: string): number {
  let low = 0;
  let high = backends.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((backends[middle] as BackendEntry).instanceId < instanceId) low = middle + 1;
    else high = middle;
  }
  return low;
}

function removeItem(list: string[], item: string): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `http://host:port` (what the engine writes) without the cost of a full URL parse. */
const SIMPLE_HTTP_URL = /^http:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})\/?$/;

/** A backend value the router can send traffic to, or null (bad JSON, not web, not an http URL). */
function toBackend(app: string, instanceId: string, raw: string): BackendEntry | null {
  const value = parseBackendValue(raw);
  if (value === null || value.process !== WEB_PROCESS) return null;
  const target = httpTarget(value.url);
  if (target === null) return null;
  return new BackendEntry(app, instanceId, value.url, value.release, target.hostname, target.port);
}

function httpTarget(raw: string): { hostname: string; port: number } | null {
  const simple = SIMPLE_HTTP_URL.exec(raw);
  if (simple) {
    const port = Number(simple[2]);
    if (port < 1 || port > 65535) return null;
    return { hostname: unbracket(simple[1] as string), port };
  }
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' || url.hostname === '') return null;
    return { hostname: unbracket(url.hostname), port: url.port === '' ? 80 : Number(url.port) };
  } catch {
    return null;
  }
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

export class RouteTable implements RouteLookup {
  private state: RouteState;
  private loadedOnce = false;
  private readonly balance: BalancePolicy;
  private readonly clock: () => number;
  private withdrawListener: ((backend: BackendEntry) => void) | null = null;

  /** `prefix` is the etcd key prefix (config.etcdPrefix); keys outside it are ignored. */
  constructor(
    private readonly prefix: string,
    options: RouteTableOptions = {},
  ) {
    this.state = new RouteState(prefix);
    this.balance = options.balance ?? 'round-robin';
    this.clock = options.clock ?? Date.now;
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  get policy(): BalancePolicy {
    return this.balance;
  }

  /**
   * Replaces everything with a consistent snapshot: what etcd held at one revision. Backends
   * that are in both keep their entry (in-flight count, health) and each app its rotation.
   * (The etcd source calls this once; later re-snapshots reach the table as a diff of changes.)
   */
  reset(entries: Iterable<RouteEntry>): void {
    const next = new RouteState(this.prefix);
    for (const entry of entries) next.apply(entry.key, entry.value);
    for (const [app, routes] of next.apps) {
      const before = this.state.apps.get(app);
      if (!before) continue;
      for (let i = 0; i < routes.backends.length; i += 1) {
        const fresh = routes.backends[i] as BackendEntry;
        const old = before.backends[findIndex(before.backends, fresh.instanceId)];
        if (old && old.instanceId === fresh.instanceId && old.url === fresh.url) {
          old.release = fresh.release;
          routes.backends[i] = old;
        }
      }
      if (routes.backends.length > 0) routes.cursor = before.cursor % routes.backends.length;
    }
    // Entries that did not carry over have left the table.
    for (const [, routes] of this.state.apps) {
      for (const backend of routes.backends) {
        const kept = next.apps.get(backend.app)?.backends.includes(backend) ?? false;
        if (!kept) this.state.withdraw(backend);
      }
    }
    next.onWithdraw = this.withdrawListener;
    this.state = next;
    this.loadedOnce = true;
  }

  /**
   * `listener` is told of each backend entry that leaves the table (its `withdrawn` is set by
   * then), so connections kept open to it can be closed.
   */
  onBackendWithdrawn(listener: (backend: BackendEntry) => void): void {
    this.withdrawListener = listener;
    this.state.onWithdraw = listener;
  }

  /** Applies one watched change; applying the same change twice leaves the same table. */
  apply(change: RouteChange): void {
    this.state.apply(change.key, change.type === 'put' ? change.value : null);
  }

  appForHost(host: string): string | undefined {
    const exact = this.state.hostToApp.get(host);
    if (exact !== undefined) return exact;
    const wildcard = wildcardFor(host);
    return wildcard === null ? undefined : this.state.hostToApp.get(wildcard);
  }

  nextBackend(app: string, exclude?: ReadonlySet<string>): BackendEntry | undefined {
    const routes = this.state.apps.get(app);
    if (!routes || routes.backends.length === 0) return undefined;
    return this.balance === 'least-connections' ? this.leastConnections(routes, exclude) : this.roundRobin(routes, exclude);
  }

  private roundRobin(routes: AppRoutes, exclude: ReadonlySet<string> | undefined): BackendEntry | undefined {
    const { backends } = routes;
    const count = backends.length;
    let now = 0;
    let fallback: BackendEntry | undefined;
    for (let tried = 0; tried < count; tried += 1) {
      const backend = backends[routes.cursor] as BackendEntry;
      routes.cursor = routes.cursor + 1 === count ? 0 : routes.cursor + 1;
      if (exclude !== undefined && exclude.has(backend.instanceId)) continue;
      if (backend.ejectedUntil !== 0) {
        if (now === 0) now = this.clock();
        if (backend.ejectedUntil > now) {
          fallback ??= backend;
          continue;
        }
        backend.ejectedUntil = 0;
      }
      return backend;
    }
    // Every backend left is ejected: trying one beats refusing outright.
    return fallback;
  }

  /** The fewest requests in flight; ties go round robin, so equal backends still share the load. */
  private leastConnections(routes: AppRoutes, exclude: ReadonlySet<string> | undefined): BackendEntry | undefined {
    const { backends } = routes;
    const count = backends.length;
    const start = routes.cursor;
    routes.cursor = start + 1 === count ? 0 : start + 1;
    let now = 0;
    let best: BackendEntry | undefined;
    let fallback: BackendEntry | undefined;
    for (let offset = 0; offset < count; offset += 1) {
      const index = start + offset < count ? start + offset : start + offset - count;
      const backend = backends[index] as BackendEntry;
      if (exclude !== undefined && exclude.has(backend.instanceId)) continue;
      if (backend.ejectedUntil !== 0) {
        if (now === 0) now = this.clock();
        if (backend.ejectedUntil > now) {
          if (fallback === undefined || backend.active < fallback.active) fallback = backend;
          continue;
        }
        backend.ejectedUntil = 0;
      }
      if (best === undefined || backend.active < best.active) best = backend;
    }
    return best ?? fallback;
  }

  /** Takes `backend` out of rotation until `until` (ms since the epoch), if it is still in the table. */
  eject(backend: BackendEntry, forMs: number): void {
    if (forMs > 0) backend.ejectedUntil = this.clock() + forMs;
  }

  backendCount(app: string): number {
    return this.state.apps.get(app)?.backends.length ?? 0;
  }

  inMaintenance(app: string): boolean {
    return this.state.maintenance.has(app);
  }

  /** Every backend of `app`, ordered by instance id (for tests, metrics and diagnostics). */
  backendsOf(app: string): readonly BackendEntry[] {
    return this.state.apps.get(app)?.backends ?? [];
  }

  /** The hosts that lead to `app`, sorted. */
  hostsOf(app: string): readonly string[] {
    const hosts = [...(this.state.apps.get(app)?.domains ?? [])];
    return hosts.filter((host) => this.state.hostToApp.get(host) === app).sort(compareStrings);
  }

  /** Calls `visit` with every app and its number of backends (for the backends-per-app gauge). */
  forEachApp(visit: (app: string, backendCount: number) => void): void {
    for (const [app, routes] of this.state.apps) visit(app, routes.backends.length);
  }

  stats(): RouteTableStats {
    return {
      appCount: this.state.apps.size,
      hostCount: this.state.hostToApp.size,
      backendCount: this.state.backendTotal,
    };
  }
}
