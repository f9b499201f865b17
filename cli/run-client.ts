/**
 * The HTTP side of `slipway run`: `POST /apps/:app/dynos`, then, to attach, an HTTP Upgrade to
 * `slipway-attach/1` on the URL it answers with (docs/run.md). Errors are one-line CliErrors,
 * worded like the ApiClient's.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { ATTACH_PROTOCOL } from '../api/attach-protocol';
import { CliError } from './cli-error';

export interface Dyno {
  id: string;
  app: string;
  type: string;
  release: number;
  command: string;
  state: string;
  startedAt: string | null;
  /** How to attach, when the one-off was created attached; null when detached. */
  attach: { url: string; protocol: string; expiresInSeconds: number; tty: boolean } | null;
}

export interface CreateDynoBody {
  /** The command, or `addon`: the client of that add-on (addons:connect). */
  command?: string;
  addon?: string;
  attach: boolean;
  detach: boolean;
  tty: boolean;
  cols?: number;
  rows?: number;
  term?: string;
}

export interface Connection {
  apiUrl: string;
  token: string;
}

const TIMEOUT_MS = 60_000;

function networkProblem(apiUrl: string, error: unknown): CliError {
  let current: unknown = error;
  let code: string | undefined;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null && code === undefined; depth += 1) {
    const c = (current as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    current = (current as { cause?: unknown }).cause;
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CliError(`The Slipway API at ${apiUrl} did not answer within ${TIMEOUT_MS / 1000}s.`);
  }
  const problem = code === 'ECONNREFUSED' ? 'connection refused' : code ?? (error instanceof Error ? error.message : String(error));
  return new CliError(`The Slipway API is not reachable at ${apiUrl} (${problem}): start the platform with scripts/up, or set SLIPWAY_API_URL.`);
}

/** The API's error for a failed call, from its JSON body when it has one. */
export function errorFromBody(apiUrl: string, what: string, status: number, text: string): CliError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') {
      return new CliError(body.error.message, typeof body.error.code === 'string' ? body.error.code : null, status);
    }
  } catch {
    // not JSON: described below
  }
  return new CliError(`The API at ${apiUrl} answered ${what} with HTTP ${status} and no Slipway error: is SLIPWAY_API_URL pointing at Slipway?`, null, status);
}

export async function createDyno(connection: Connection, app: string, body: CreateDynoBody): Promise<Dyno> {
  const path = `/apps/${encodeURIComponent(app)}/dynos`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${connection.apiUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${connection.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    throw networkProblem(connection.apiUrl, error);
  }
  if (!response.ok) throw errorFromBody(connection.apiUrl, `POST ${path}`, response.status, text);
  try {
    return JSON.parse(text) as Dyno;
  } catch {
    throw new CliError(`The API at ${connection.apiUrl} answered POST ${path} with something that is not JSON: is SLIPWAY_API_URL pointing at Slipway?`);
  }
}

/** Upgrades `path` (from the dyno's `attach.url`) to the attach protocol; resolves with the raw socket. */
export function openAttach(connection: Connection, path: string): Promise<{ socket: Duplex; head: Buffer }> {
  const url = new URL(path, `${connection.apiUrl}/`);
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'GET',
    headers: { connection: 'Upgrade', upgrade: ATTACH_PROTOCOL, authorization: `Bearer ${connection.token}` },
    timeout: TIMEOUT_MS,
  });
  return new Promise((resolve, reject) => {
    request.on('upgrade', (response, socket, head) => {
      if ((response.headers.upgrade ?? '').toLowerCase() !== ATTACH_PROTOCOL) {
        socket.destroy();
        reject(new CliError(`The API at ${connection.apiUrl} did not switch to ${ATTACH_PROTOCOL}: is SLIPWAY_API_URL pointing at Slipway?`));
        return;
      }
      socket.setTimeout(0);
      resolve({ socket, head });
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => reject(errorFromBody(connection.apiUrl, `the attach to ${url.pathname}`, response.statusCode ?? 0, text)));
      response.on('error', (error) => reject(networkProblem(connection.apiUrl, error)));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    request.on('error', (error) => reject(networkProblem(connection.apiUrl, error)));
    request.end();
  });
}
