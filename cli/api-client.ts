/**
 * A typed client for the REST API (docs/contracts/api.md) over fetch. HTTP only: it returns
 * the API's data and turns every failure into a CliError with one readable message; the
 * commands decide what to print.
 */
import type { ErrorBody } from '../lib/errors';
import type { App, AppInfo, Build, ConfigVars, SizedFormationEntry, Info, Key, PsView, Release, ReleaseInfo } from './api-types';
import type { AddedCert, Cert, Domain, TlsSettings } from './api-types';
import type { AppBuildpack, BuildCache, ImageDeploy, RegistryInfo } from './api-types';
import type { BuildOutput, MaintenanceState, PlatformStatusView } from './api-types';
import type { AppMetricsView } from './api-types';
import { CliError } from './cli-error';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:5080 — the client adds /api/v1. */
  apiUrl: string;
  /** null: no Authorization header (`login`). */
  token: string | null;
  /** Per-request time limit. */
  timeoutMs?: number;
  fetch?: FetchLike;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Calls that deploy a release (config changes, rollbacks) answer once it serves or failed. */
const DEPLOY_TIMEOUT_MS = 10 * 60_000;

/** Network errors node's fetch reports in `error.cause.code`, and what to tell the user. */
const NETWORK_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** fetch wraps the real failure ("bad port", …) in a generic "fetch failed". */
function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

/** A log drain as the API shows it (engine/logs/drains/drains-service.ts DrainView). */
export interface LogDrain {
  id: string;
  url: string;
  token: string;
  createdAt: string;
  pending: number;
}

export class ApiClient {
  readonly apiUrl: string;
  private readonly token: string | null;
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;

  constructor(options: ApiClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** An app's graphs over `since` (docs/metrics.md). */
  appMetrics(app: string, options: { since?: string; step?: string; until?: string } = {}): Promise<AppMetricsView> {
    const query = new URLSearchParams();
    if (options.since) query.set('since', options.since);
    if (options.step) query.set('step', options.step);
    if (options.until) query.set('until', options.until);
    const suffix = query.toString() === '' ? '' : `?${query.toString()}`;
    return this.request<AppMetricsView>('GET', `/apps/${encodeURIComponent(app)}/metrics${suffix}`);
  }

  info(): Promise<Info> {
    return this.request<Info>('GET', '/info');
  }

  listApps(): Promise<App[]> {
    return this.request<App[]>('GET', '/apps');
  }

  /** In `team`, else in the caller's personal team. */
  createApp(name: string, team?: string): Promise<App> {
    return this.request<App>('POST', '/apps', team === undefined ? { name } : { name, team });
  }

  getApp(name: string): Promise<AppInfo> {
    return this.request<AppInfo>('GET', `/apps/${encodeURIComponent(name)}`);
  }

  renameApp(name: string, newName: string): Promise<App> {
    return this.request<App>('PATCH', `/apps/${encodeURIComponent(name)}`, { name: newName });
  }

  destroyApp(name: string, confirm: string): Promise<void> {
    const path = `/apps/${encodeURIComponent(name)}?confirm=${encodeURIComponent(confirm)}`;
    return this.request<void>('DELETE', path);
  }

  listReleases(app: string): Promise<Release[]> {
    return this.request<Release[]>('GET', `/apps/${encodeURIComponent(app)}/releases`);
  }

  listBuilds(app: string): Promise<Build[]> {
    return this.request<Build[]>('GET', `/apps/${encodeURIComponent(app)}/builds`);
  }

  getBuild(app: string, id: string): Promise<Build> {
    return this.request<Build>('GET', `/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(id)}`);
  }

  getBuildOutput(app: string, id: string): Promise<BuildOutput> {
    return this.request<BuildOutput>('GET', `/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(id)}/output`);
  }

  /** Stops one instance (`web.2`, or an id from ps); the platform starts a replacement. */
  killInstance(app: string, instance: string): Promise<PsView['instances'][number]> {
    return this.request<PsView['instances'][number]>('POST', `/apps/${encodeURIComponent(app)}/ps/kill`, { instance });
  }

  getMaintenance(app: string): Promise<MaintenanceState> {
    return this.request<MaintenanceState>('GET', `/apps/${encodeURIComponent(app)}/maintenance`);
  }

  setMaintenance(app: string, maintenance: boolean): Promise<MaintenanceState> {
    return this.request<MaintenanceState>('PUT', `/apps/${encodeURIComponent(app)}/maintenance`, { maintenance });
  }

  status(): Promise<PlatformStatusView> {
    return this.request<PlatformStatusView>('GET', '/status');
  }

  getConfig(app: string): Promise<ConfigVars> {
    return this.request<ConfigVars>('GET', `/apps/${encodeURIComponent(app)}/config`);
  }

  /** `{KEY: "value"}` sets, `{KEY: null}` unsets; answers the config after the change. */
  updateConfig(app: string, changes: Record<string, string | null>): Promise<ConfigVars> {
    return this.request<ConfigVars>('PATCH', `/apps/${encodeURIComponent(app)}/config`, changes, DEPLOY_TIMEOUT_MS);
  }

  getRelease(app: string, version: number): Promise<ReleaseInfo> {
    return this.request<ReleaseInfo>('GET', `/apps/${encodeURIComponent(app)}/releases/${version}`);
  }

  /** Without a version: the newest succeeded release before the current one. */
  rollback(app: string, version?: number): Promise<Release> {
    const body = version === undefined ? {} : { rollback: version };
    return this.request<Release>('POST', `/apps/${encodeURIComponent(app)}/releases`, body, DEPLOY_TIMEOUT_MS);
  }

  getPs(app: string): Promise<PsView> {
    return this.request<PsView>('GET', `/apps/${encodeURIComponent(app)}/ps`);
  }

  /** `{web: 3, worker: 0}`; answers once the instances match. */
  scale(app: string, quantities: Record<string, number>): Promise<SizedFormationEntry[]> {
    return this.request<SizedFormationEntry[]>('PATCH', `/apps/${encodeURIComponent(app)}/formation`, quantities, DEPLOY_TIMEOUT_MS);
  }

  resize(app: string, type: string, size: { memory?: string; cpu?: number }): Promise<SizedFormationEntry> {
    return this.request<SizedFormationEntry>('PATCH', `/apps/${encodeURIComponent(app)}/formation/${encodeURIComponent(type)}`, size, DEPLOY_TIMEOUT_MS);
  }

  restart(app: string, type?: string): Promise<void> {
    return this.request<void>('POST', `/apps/${encodeURIComponent(app)}/ps/restart`, type ? { type } : {}, DEPLOY_TIMEOUT_MS);
  }

  stop(app: string, type: string): Promise<SizedFormationEntry[]> {
    return this.request<SizedFormationEntry[]>('POST', `/apps/${encodeURIComponent(app)}/ps/stop`, { type }, DEPLOY_TIMEOUT_MS);
  }

  listKeys(): Promise<Key[]> {
    return this.request<Key[]>('GET', '/keys');
  }

  addKey(publicKey: string, name?: string): Promise<Key> {
    return this.request<Key>('POST', '/keys', name === undefined ? { publicKey } : { publicKey, name });
  }

  /** `idOrFingerprint` is a key id or its SHA256 fingerprint. */
  removeKey(idOrFingerprint: string): Promise<void> {
    return this.request<void>('DELETE', `/keys/${encodeURIComponent(idOrFingerprint)}`);
  }

  listDomains(app: string): Promise<Domain[]> {
    return this.request<Domain[]>('GET', `/apps/${encodeURIComponent(app)}/domains`);
  }

  addDomain(app: string, hostname: string): Promise<Domain> {
    return this.request<Domain>('POST', `/apps/${encodeURIComponent(app)}/domains`, { hostname });
  }

  removeDomain(app: string, hostname: string): Promise<void> {
    return this.request<void>('DELETE', `/apps/${encodeURIComponent(app)}/domains/${encodeURIComponent(hostname)}`);
  }

  listCerts(app: string): Promise<Cert[]> {
    return this.request<Cert[]>('GET', `/apps/${encodeURIComponent(app)}/certs`);
  }

  /** PEM text of the certificate (chain, leaf first) and of its private key. */
  addCert(app: string, certificate: string, privateKey: string): Promise<AddedCert> {
    return this.request<AddedCert>('POST', `/apps/${encodeURIComponent(app)}/certs`, { certificate, privateKey });
  }

  /** The certificate serving `hostname`, or every certificate of the app; answers the removed ones. */
  removeCerts(app: string, hostname?: string): Promise<Cert[]> {
    const suffix = hostname === undefined ? '' : `/${encodeURIComponent(hostname)}`;
    return this.request<Cert[]>('DELETE', `/apps/${encodeURIComponent(app)}/certs${suffix}`);
  }

  getTls(app: string): Promise<TlsSettings> {
    return this.request<TlsSettings>('GET', `/apps/${encodeURIComponent(app)}/tls`);
  }

  updateTls(app: string, settings: TlsSettings): Promise<TlsSettings> {
    return this.request<TlsSettings>('PATCH', `/apps/${encodeURIComponent(app)}/tls`, settings);
  }

  listBuildpacks(app: string): Promise<AppBuildpack[]> {
    return this.request<AppBuildpack[]>('GET', `/apps/${encodeURIComponent(app)}/buildpacks`);
  }

  /** Replaces the buildpack at `index` (1-based; one past the end appends). */
  setBuildpack(app: string, buildpack: string, index = 1): Promise<AppBuildpack[]> {
    return this.request<AppBuildpack[]>('PUT', `/apps/${encodeURIComponent(app)}/buildpacks/${index}`, { buildpack });
  }

  /** Inserts at `index` (default: at the end). */
  addBuildpack(app: string, buildpack: string, index?: number): Promise<AppBuildpack[]> {
    return this.request<AppBuildpack[]>('POST', `/apps/${encodeURIComponent(app)}/buildpacks`, index === undefined ? { buildpack } : { buildpack, index });
  }

  removeBuildpack(app: string, index: number): Promise<AppBuildpack[]> {
    return this.request<AppBuildpack[]>('DELETE', `/apps/${encodeURIComponent(app)}/buildpacks/${index}`);
  }

  clearBuildpacks(app: string): Promise<AppBuildpack[]> {
    return this.request<AppBuildpack[]>('DELETE', `/apps/${encodeURIComponent(app)}/buildpacks`);
  }

  getBuildCache(app: string): Promise<BuildCache> {
    return this.request<BuildCache>('GET', `/apps/${encodeURIComponent(app)}/build-cache`);
  }

  getRegistryInfo(): Promise<RegistryInfo> {
    return this.request<RegistryInfo>('GET', '/registry');
  }

  purgeBuildCache(app: string): Promise<void> {
    return this.request<void>('DELETE', `/apps/${encodeURIComponent(app)}/build-cache`);
  }

  /** Deploys an existing image; answers once it serves (or failed). */
  deployImage(app: string, image: string): Promise<ImageDeploy> {
    return this.request<ImageDeploy>('POST', `/apps/${encodeURIComponent(app)}/builds`, { image }, DEPLOY_TIMEOUT_MS);
  }

  /** A typed call for command modules that keep their own routes (cli/addons-client.ts). */
  call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>(method, path, body, timeoutMs);
  }

  /** A GET answered with bytes (a backup's dump); API errors become a CliError as for every call. */
  async download(path: string, timeoutMs = DEPLOY_TIMEOUT_MS): Promise<ReadableStream<Uint8Array>> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/api/v1${path}`, {
        method: 'GET', headers: this.headers('application/octet-stream'), signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw this.networkError(error, timeoutMs);
    }
    if (!response.ok || response.body === null) throw this.httpError('GET', path, response, await response.text().catch(() => ''));
    return response.body;
  }

  /**
   * Opens a streaming GET (Server-Sent Events) without a time limit: the caller reads the body
   * and aborts with `signal`. An API error becomes a CliError as for any other call.
   */
  async openStream(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/api/v1${path}`, { method: 'GET', headers: { ...this.headers('text/event-stream'), ...headers }, signal });
    } catch (error) {
      throw this.networkError(error);
    }
    if (!response.ok) {
      let text = '';
      try {
        text = await response.text();
      } catch {
        // The status alone is described below.
      }
      throw this.httpError('GET', path, response, text);
    }
    return response;
  }

  listDrains(app: string): Promise<LogDrain[]> {
    return this.request<LogDrain[]>('GET', `/apps/${encodeURIComponent(app)}/drains`);
  }

  addDrain(app: string, url: string): Promise<LogDrain> {
    return this.request<LogDrain>('POST', `/apps/${encodeURIComponent(app)}/drains`, { url });
  }

  removeDrain(app: string, drain: string): Promise<LogDrain> {
    return this.request<LogDrain>('DELETE', `/apps/${encodeURIComponent(app)}/drains/${encodeURIComponent(drain)}`);
  }

  /**
   * An app's log lines as text (`GET /apps/:app/logs`), handed to `write` as they come; with
   * `tail` the answer stays open until `signal` aborts it (docs/logs.md).
   */
  async streamLogs(app: string, query: Readonly<Record<string, string>>, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const path = `/apps/${encodeURIComponent(app)}/logs?${new URLSearchParams(query).toString()}`;
    const tail = query.tail === '1';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/api/v1${path}`, {
        method: 'GET',
        headers: this.headers('text/plain'),
        signal: tail ? signal : AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(signal ? [signal] : [])]),
      });
    } catch (error) {
      throw this.networkError(error);
    }
    if (!response.ok) throw this.httpError('GET', path, response, await response.text());
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) write(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      if (signal?.aborted) return;
      throw this.networkError(error);
    }
    write(decoder.decode());
  }

  private headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept };
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  private async request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const url = `${this.apiUrl}/api/v1${path}`;
    const headers = this.headers('application/json');
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw this.networkError(error, timeoutMs);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.networkError(error, timeoutMs);
    }

    if (!response.ok) throw this.httpError(method, path, response, text);
    if (response.status === 204 || text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `The API at ${this.apiUrl} answered ${method} ${path} with something that is not JSON: is SLIPWAY_API_URL pointing at Slipway?`,
      );
    }
  }

  private httpError(method: string, path: string, response: Response, text: string): CliError {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: a proxy or something else answered; described below.
    }
    if (isErrorBody(parsed)) {
      return new CliError(parsed.error.message, parsed.error.code, response.status);
    }
    const statusText = response.statusText ? ` ${response.statusText}` : '';
    return new CliError(
      `The API at ${this.apiUrl} answered ${method} ${path} with HTTP ${response.status}${statusText} and no Slipway error: is SLIPWAY_API_URL pointing at Slipway?`,
      null,
      response.status,
    );
  }

  private networkError(error: unknown, timeoutMs = this.timeoutMs): CliError {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new CliError(`The Slipway API at ${this.apiUrl} did not answer within ${Math.round(timeoutMs / 1000)}s.`);
    }
    const code = causeCode(error);
    const problem = code ? (NETWORK_PROBLEMS[code] ?? code) : innermostMessage(error);
    return new CliError(
      `The Slipway API is not reachable at ${this.apiUrl} (${problem}): start the platform with scripts/up, or set SLIPWAY_API_URL.`,
    );
  }
}
