/**
 * The etcd key schema shared by the engine (writer) and the router (reader).
 * Contract v2, documented in docs/contracts/etcd-keys.md; both sides build and parse keys only here.
 *
 *   <prefix>/apps/<app>/domains/<host>         → DomainValue        (v1)
 *   <prefix>/apps/<app>/backends/<instance-id> → BackendValue       (v1)
 *   <prefix>/apps/<app>/certs/<host>           → SealedCertValue    (v2; private key sealed since v4)
 *   <prefix>/apps/<app>/settings               → AppSettingsValue   (v2)
 *   <prefix>/apps/<app>/maintenance            → MaintenanceValue   (v3)
 *
 * v2 and v3 only add keys under the same layout: an older router ignores them (it parses them as null).
 * v4 seals the private key of certificate values (a v3 router serves its default certificate instead).
 */
export const ETCD_SCHEMA_VERSION = 4;

export interface DomainValue {
  app: string;
}

export interface BackendValue {
  /** Where the router sends requests, e.g. http://127.0.0.1:32768 */
  url: string;
  release: number;
  process: string;
}

/** The certificate (chain, leaf first) and private key the router presents for one host, PEM text (in memory). */
export interface CertValue {
  cert: string;
  key: string;
}

/**
 * What a certificate key holds in etcd (v4): the private key sealed (lib/secret-box.ts) with the
 * secrets key file, for the context certSealContext(etcd key), so etcd never holds it in clear. A
 * v2 value `{cert, key}` (plaintext, from an engine before v4) is still read; the platform re-seals
 * such values when it starts.
 */
export interface SealedCertValue {
  cert: string;
  sealedKey: string;
}

/** The context a certificate's private key is sealed for in etcd: its own key, so a value moved to another host or app does not open. */
export function certSealContext(etcdKey: string): string {
  return `etcd-cert:${etcdKey}`;
}

/** Per-app router settings; a missing key means every default. */
export interface AppSettingsValue {
  /** Plain-HTTP requests get a redirect to the same URL on the HTTPS port. Default false. */
  redirectHttps: boolean;
}

export const DEFAULT_APP_SETTINGS: Readonly<AppSettingsValue> = Object.freeze({ redirectHttps: false });

/** Present while the app is in maintenance mode: the router answers its requests with a 503 page. */
export interface MaintenanceValue {
  maintenance: true;
}

export type ParsedKey =
  | { kind: 'domain'; app: string; host: string }
  | { kind: 'backend'; app: string; instanceId: string }
  | { kind: 'cert'; app: string; host: string }
  | { kind: 'settings'; app: string }
  | { kind: 'maintenance'; app: string };

export function appPrefix(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/`;
}

export function appsPrefix(prefix: string): string {
  return `${prefix}/apps/`;
}

export function domainKey(prefix: string, app: string, host: string): string {
  return `${prefix}/apps/${app}/domains/${host.toLowerCase()}`;
}

export function backendKey(prefix: string, app: string, instanceId: string): string {
  return `${prefix}/apps/${app}/backends/${instanceId}`;
}

export function backendsPrefix(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/backends/`;
}

export function domainsPrefix(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/domains/`;
}

export function certKey(prefix: string, app: string, host: string): string {
  return `${prefix}/apps/${app}/certs/${host.toLowerCase()}`;
}

export function certsPrefix(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/certs/`;
}

export function settingsKey(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/settings`;
}

export function maintenanceKey(prefix: string, app: string): string {
  return `${prefix}/apps/${app}/maintenance`;
}

/**
 * Parses a key under `<prefix>/apps/`; anything else (a newer schema's keys) yields null.
 * (Index arithmetic rather than split: a router loads tens of thousands of keys at start.)
 */
export function parseKey(prefix: string, key: string): ParsedKey | null {
  const start = prefix.length + '/apps/'.length;
  if (!key.startsWith(prefix) || !key.startsWith('/apps/', prefix.length)) return null;
  const first = key.indexOf('/', start);
  if (first <= start) return null; // no kind, or an empty app name
  const app = key.slice(start, first);
  const second = key.indexOf('/', first + 1);
  if (second < 0) {
    const length = key.length - first - 1;
    if (length === 8 && key.endsWith('settings')) return { kind: 'settings', app };
    if (length === 11 && key.endsWith('maintenance')) return { kind: 'maintenance', app };
    return null;
  }
  if (second === key.length - 1 || key.indexOf('/', second + 1) >= 0) return null; // empty name, or deeper
  const kindLength = second - first - 1;
  const name = key.slice(second + 1);
  if (kindLength === 7 && key.startsWith('domains', first + 1)) return { kind: 'domain', app, host: name };
  if (kindLength === 8 && key.startsWith('backends', first + 1)) return { kind: 'backend', app, instanceId: name };
  if (kindLength === 5 && key.startsWith('certs', first + 1)) return { kind: 'cert', app, host: name };
  return null;
}

/**
 * The wildcard domain that covers `host`: `shop.example.com` → `*.example.com`. A wildcard covers
 * exactly one label, so `a.b.example.com` is covered by `*.b.example.com` only, and `example.com`
 * (or a wildcard itself) by none: null.
 */
export function wildcardFor(host: string): string | null {
  if (host.startsWith('*.')) return null;
  const dot = host.indexOf('.');
  if (dot <= 0 || dot === host.length - 1) return null;
  const parent = host.slice(dot + 1);
  // `*.com` is never a domain the engine accepts; do not even look it up.
  if (!parent.includes('.')) return null;
  return `*.${parent}`;
}

export function parseBackendValue(raw: string): BackendValue | null {
  try {
    const value = JSON.parse(raw) as Partial<BackendValue>;
    if (typeof value.url !== 'string' || typeof value.release !== 'number') return null;
    return { url: value.url, release: value.release, process: value.process ?? 'web' };
  } catch {
    return null;
  }
}

/** A certificate value as etcd holds it: sealed (v4) or, from an older engine, plaintext (v2). */
export function parseCertValue(raw: string): SealedCertValue | CertValue | null {
  try {
    const value = JSON.parse(raw) as Partial<CertValue & SealedCertValue> | null;
    if (typeof value?.cert !== 'string' || value.cert === '') return null;
    if (typeof value.sealedKey === 'string' && value.sealedKey !== '') return { cert: value.cert, sealedKey: value.sealedKey };
    if (typeof value.key === 'string' && value.key !== '') return { cert: value.cert, key: value.key };
    return null;
  } catch {
    return null;
  }
}

/** Unknown fields are ignored and missing ones take their defaults; bad JSON is null. */
export function parseSettingsValue(raw: string): AppSettingsValue | null {
  try {
    const value = JSON.parse(raw) as Partial<AppSettingsValue> | null;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return { redirectHttps: value.redirectHttps === true };
  } catch {
    return null;
  }
}

/** True for the value the engine writes (`{"maintenance":true}`); anything else is off. */
export function parseMaintenanceValue(raw: string): boolean {
  try {
    const value = JSON.parse(raw) as Partial<MaintenanceValue> | null;
    return typeof value === 'object' && value !== null && value.maintenance === true;
  } catch {
    return false;
  }
}
