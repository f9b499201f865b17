/** An API server on a free port with fake services, and a plain HTTP client for it (no CLI in between). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi, listen, type ApiDeps } from '../../api/server';
import type { IdentityService } from '../../engine/identity-service';
import { SlipwayError } from '../../lib/errors';
import type { Logger } from '../../lib/log';

export const API_TOKEN = 'good-token';

/** An identity that knows one token. */
export const fakeIdentity = {
  authenticate: (token: string) => (token === API_TOKEN ? Promise.resolve({ kind: 'user', userId: 1, userName: 'admin', platformAdmin: true, scope: 'admin', via: 'token', credential: '1' })
    : Promise.reject(new SlipwayError('unauthorized', 'This API token is not valid.'))),
} as unknown as IdentityService;

const quietLogger = { error() {}, warn() {}, info() {}, debug() {}, child() { return quietLogger; } } as unknown as Logger;

/** Every service a route reaches fails the test: these tests are about what happens before one is called. */
const untouchable = new Proxy({}, {
  get: (_target, name) => () => { throw new Error(`a service was called (${String(name)})`); },
});

export function apiDeps(overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    apps: untouchable, releases: untouchable, builds: untouchable, config: untouchable, formation: untouchable,
    identity: fakeIdentity, info: { domain: 'slipway.test', sshHost: '127.0.0.1', sshPort: 2222, version: '0' },
    logger: quietLogger, ...overrides,
  } as ApiDeps;
}

export async function startApi(deps: ApiDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server = await listen(createApi(deps), '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Answer { status: number; body: unknown }

export function request(url: string, options: { method?: string; token?: string | null; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = options.token === undefined ? API_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const req = http.request(url, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) as unknown });
      });
    });
    // The server may answer (and close) before it has read a large body.
    req.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error); });
    req.end(options.body);
  });
}

