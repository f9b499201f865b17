/**
 * The router's live certificates and per-app settings, fed by the same etcd snapshot + watch as the
 * route table (it is a RouteSink too): `<prefix>/apps/<app>/certs/<host>` and
 * `<prefix>/apps/<app>/settings` (contract v2, docs/contracts/etcd-keys.md).
 *
 * A certificate key becomes a ready tls.SecureContext when it is applied, so a handshake only does a
 * map lookup: the exact host first, then the one-label wildcard (`*.example.com` for
 * `shop.example.com`). A put replaces the context at once; connections already open keep theirs.
 *
 * Like the route table it is idempotent and order-independent; if two apps ever publish a
 * certificate for one host, the smaller app name wins.
 */
import tls from 'node:tls';
import { certSealContext, parseCertValue, parseKey, parseSettingsValue, wildcardFor, type AppSettingsValue } from '../lib/etcd-keys';
import type { RouteChange, RouteEntry } from './route-table';
import type { RouteSink } from './route-source';

interface CertEntry {
  /** The etcd value, to reuse the context when a re-snapshot brings the same value. */
  readonly raw: string;
  readonly context: tls.SecureContext;
}

export interface TlsStoreStats {
  /** Hosts with a certificate. */
  readonly certHosts: number;
  /** Apps whose plain-HTTP requests are redirected to HTTPS. */
  readonly redirectingApps: number;
}

export interface TlsStoreOptions {
  /** Told about a certificate value the router cannot use (bad JSON, PEM that TLS refuses); the key is then ignored. */
  readonly onInvalid?: (problem: { app: string; host: string; error: string }) => void;
  /**
   * Opens a sealed private key (lib/secret-box.ts) for its context; throws, saying why, when it
   * cannot. Without it, sealed values are refused (onInvalid).
   */
  readonly openKey?: (sealed: string, context: string) => string;
}

class TlsState {
  /** host → app → certificate (normally one app per host). */
  readonly certs = new Map<string, Map<string, CertEntry>>();
  readonly settings = new Map<string, AppSettingsValue>();

  constructor(
    private readonly prefix: string,
    private readonly options: TlsStoreOptions,
    /** The state being replaced, whose contexts are reused for unchanged values. */
    private readonly previous: TlsState | null,
  ) {}

  apply(change: RouteChange): void {
    const parsed = parseKey(this.prefix, change.key);
    if (parsed === null) return;
    if (parsed.kind === 'settings') {
      const value = change.type === 'put' ? parseSettingsValue(change.value) : null;
      if (value) this.settings.set(parsed.app, value);
      else this.settings.delete(parsed.app);
      return;
    }
    if (parsed.kind !== 'cert') return; // domains and backends are the route table's
    const host = normalizeServerName(parsed.host);
    const entry = change.type === 'put' ? this.entryFor(parsed.app, host, change.key, change.value) : null;
    if (entry) this.setCert(host, parsed.app, entry);
    else this.removeCert(host, parsed.app);
  }

  private entryFor(app: string, host: string, etcdKey: string, raw: string): CertEntry | null {
    const reused = this.certs.get(host)?.get(app) ?? this.previous?.certs.get(host)?.get(app);
    if (reused && reused.raw === raw) return reused;
    const value = parseCertValue(raw);
    if (value === null) {
      this.options.onInvalid?.({ app, host, error: 'the value is not {"cert": PEM, "sealedKey": sealed PEM}' });
      return null;
    }
    try {
      let key: string;
      if ('sealedKey' in value) {
        if (!this.options.openKey) throw new Error('the private key is sealed and this router has no secrets key to open it');
        key = this.options.openKey(value.sealedKey, certSealContext(etcdKey));
      } else {
        key = value.key;
      }
      return { raw, context: tls.createSecureContext({ cert: value.cert, key }) };
    } catch (error) {
      this.options.onInvalid?.({ app, host, error: error instanceof Error ? error.message : String(error) });
      return null;
    }
  }

  private setCert(host: string, app: string, entry: CertEntry): void {
    let byApp = this.certs.get(host);
    if (!byApp) {
      byApp = new Map();
      this.certs.set(host, byApp);
    }
    byApp.set(app, entry);
  }

  private removeCert(host: string, app: string): void {
    const byApp = this.certs.get(host);
    if (!byApp) return;
    byApp.delete(app);
    if (byApp.size === 0) this.certs.delete(host);
  }

  contextForHost(host: string): tls.SecureContext | undefined {
    const byApp = this.certs.get(host);
    if (!byApp) return undefined;
    if (byApp.size === 1) return byApp.values().next().value?.context;
    let winner: string | undefined;
    for (const app of byApp.keys()) if (winner === undefined || app < winner) winner = app;
    return winner === undefined ? undefined : byApp.get(winner)?.context;
  }
}

/** `Shop.Example.com.` → `shop.example.com`, as hosts are keyed. */
function normalizeServerName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export class TlsStore implements RouteSink {
  private state: TlsState;

  constructor(private readonly prefix: string, private readonly options: TlsStoreOptions = {}) {
    this.state = new TlsState(prefix, options, null);
  }

  /** Replaces everything with a snapshot; contexts of unchanged certificates are kept. */
  reset(entries: Iterable<RouteEntry>): void {
    const next = new TlsState(this.prefix, this.options, this.state);
    for (const entry of entries) next.apply({ type: 'put', key: entry.key, value: entry.value });
    this.state = next;
  }

  apply(change: RouteChange): void {
    this.state.apply(change);
  }

  /** The certificate for an SNI server name: exact host first, then its one-label wildcard. */
  contextFor(serverName: string): tls.SecureContext | undefined {
    const host = normalizeServerName(serverName);
    const exact = this.state.contextForHost(host);
    if (exact) return exact;
    const wildcard = wildcardFor(host);
    return wildcard === null ? undefined : this.state.contextForHost(wildcard);
  }

  /** True when the app asked for plain-HTTP requests to be redirected to HTTPS. */
  redirectsToHttps(app: string): boolean {
    return this.state.settings.get(app)?.redirectHttps === true;
  }

  stats(): TlsStoreStats {
    let redirectingApps = 0;
    for (const settings of this.state.settings.values()) if (settings.redirectHttps) redirectingApps += 1;
    return { certHosts: this.state.certs.size, redirectingApps };
  }
}

/** One source feeding several sinks (the route table and the TLS store) the same snapshot and changes. */
export function fanOutSink(...sinks: readonly RouteSink[]): RouteSink {
  return {
    reset(entries) {
      const all = [...entries];
      for (const sink of sinks) sink.reset(all);
    },
    apply(change) {
      for (const sink of sinks) sink.apply(change);
    },
  };
}
