/**
 * The console's one way to the API: same origin, the session cookie sent by the browser (never
 * readable here), the CSRF token in a header on every change, errors as ApiError with the API's
 * own code and message.
 */
import type {
  ApiErrorBody, App, AppInfo, ConfigChanges, ConfigVars, Domain, FormationEntry, PlatformInfo, PsView, Release, SessionInfo,
} from './types';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Kept in memory only: a reload asks GET /session for it again. */
let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session has ended, so the console shows the sign-in page. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export const enc = encodeURIComponent;

/**
 * One request to the API. Each area's functions live in their own module beside this one
 * (web/src/api/<area>.ts) and call this; `api` below keeps the first pages' calls.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The Slipway API cannot be reached. Check that Slipway is running, then try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    const error = (parsed as ApiErrorBody | null)?.error;
    const failure = new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `The API answered ${response.status} ${response.statusText}.`);
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw failure;
  }
  return parsed as T;
}

export const api = {
  session: {
    get: () => call<SessionInfo>('GET', '/session'),
    create: (name: string, password: string) => call<SessionInfo>('POST', '/session', { name, password }),
    end: () => call<void>('DELETE', '/session'),
  },
  info: () => call<PlatformInfo>('GET', '/info'),
  apps: {
    list: () => call<App[]>('GET', '/apps'),
    create: (name: string) => call<App>('POST', '/apps', { name }),
    get: (app: string) => call<AppInfo>('GET', `/apps/${enc(app)}`),
    releases: (app: string) => call<Release[]>('GET', `/apps/${enc(app)}/releases`),
    rollback: (app: string, version: number) => call<Release>('POST', `/apps/${enc(app)}/releases`, { rollback: version }),
    config: (app: string) => call<ConfigVars>('GET', `/apps/${enc(app)}/config`),
    updateConfig: (app: string, changes: ConfigChanges) => call<ConfigVars>('PATCH', `/apps/${enc(app)}/config`, changes),
    ps: (app: string) => call<PsView>('GET', `/apps/${enc(app)}/ps`),
    scale: (app: string, quantities: Record<string, number>) => call<FormationEntry[]>('PATCH', `/apps/${enc(app)}/formation`, quantities),
    resize: (app: string, type: string, size: { memory?: string; cpu?: number }) => call<FormationEntry>('PATCH', `/apps/${enc(app)}/formation/${enc(type)}`, size),
    domains: (app: string) => call<Domain[]>('GET', `/apps/${enc(app)}/domains`),
  },
};

/** The message to show for any failure. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
