/**
 * The etcd key schema shared by the engine (writer) and the router (reader).
 * Contract v1, documented in docs/contracts/etcd-keys.md; both sides build and parse keys only here.
 *
 *   <prefix>/apps/<app>/domains/<host>         → DomainValue
 *   <prefix>/apps/<app>/backends/<instance-id> → BackendValue
 */
export const ETCD_SCHEMA_VERSION = 1;

export interface DomainValue {
  app: string;
}

export interface BackendValue {
  /** Where the router sends requests, e.g. http://127.0.0.1:32768 */
  url: string;
  release: number;
  process: string;
}

export type ParsedKey =
  | { kind: 'domain'; app: string; host: string }
  | { kind: 'backend'; app: string; instanceId: string };

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

/** Parses a key under `<prefix>/apps/`; anything else (a newer schema's keys) yields null. */
export function parseKey(prefix: string, key: string): ParsedKey | null {
  const base = appsPrefix(prefix);
  if (!key.startsWith(base)) return null;
  const parts = key.slice(base.length).split('/');
  if (parts.length !== 3 || !parts[0] || !parts[2]) return null;
  const [app, kind, name] = parts as [string, string, string];
  if (kind === 'domains') return { kind: 'domain', app, host: name };
  if (kind === 'backends') return { kind: 'backend', app, instanceId: name };
  return null;
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
