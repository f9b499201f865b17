/** Which app a request is for, by its Host header; the same answer on both router paths. Pure. */
import { STATUS_CODES } from 'node:http';
import type { RouterErrorCode } from './error-pages';
import { normalizeHost } from './host-header';
import type { RouteLookup } from './route-table';

export type AppResolution =
  | { readonly ok: true; readonly host: string; readonly app: string }
  | { readonly ok: false; readonly host: string | undefined; readonly code: RouterErrorCode; readonly message: string };

/** `hostHeader`: the first Host header; `hostCount`: how many were sent (more than one is ambiguous). */
export function resolveApp(routes: RouteLookup, hostHeader: string | undefined, hostCount: number): AppResolution {
  const host = hostCount === 1 ? normalizeHost(hostHeader) : null;
  if (host === null) {
    return { ok: false, host: hostHeader, code: 'R400', message: 'The request has no usable Host header, so the router cannot tell which app it is for.' };
  }
  if (!routes.loaded) return { ok: false, host, code: 'R510', message: 'The router has not loaded its routes yet; please retry in a moment.' };
  const app = routes.appForHost(host);
  if (app === undefined) return { ok: false, host, code: 'R404', message: `No app is served at ${host}` };
  if (routes.inMaintenance(app)) {
    return { ok: false, host, code: 'R580', message: 'This app is undergoing maintenance right now. Please check back soon.' };
  }
  return { ok: true, host, app };
}

/** A raw response head (`headers` as [name, value, …]) for answers written straight to a socket. */
export function rawHead(status: number, statusMessage: string | undefined, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${statusMessage ?? STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
  return `${head}\r\n`;
}

/** A whole raw response with a text body (`body` undefined for HEAD). */
export function rawResponse(status: number, headers: Readonly<Record<string, string>>, body: string | undefined): string {
  const list: string[] = [];
  for (const [name, value] of Object.entries(headers)) list.push(name, value);
  return rawHead(status, undefined, list) + (body ?? '');
}
