/**
 * A small in-test implementation of the REST API (docs/contracts/api.md) on 127.0.0.1:0,
 * recording every request so tests can assert what the CLI sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App, AppInfo, Build, ConfigVars, Info, Key, PlatformStatusView, Release } from '../../../cli/api-types';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export interface FakeApi {
  url: string;
  token: string;
  requests: RecordedRequest[];
  apps: Map<string, AppInfo>;
  releases: Map<string, Release[]>;
  keys: Key[];
  info: Info;
  /** Builds per app, newest first, and the output of each build by id. */
  builds: Map<string, Build[]>;
  buildOutput: Map<string, string>;
  /** Apps in maintenance mode. */
  maintenance: Set<string>;
  configs: Map<string, ConfigVars>;
  status: PlatformStatusView;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

function summary(app: AppInfo): App {
  return { name: app.name, url: app.url, gitUrl: app.gitUrl, createdAt: app.createdAt, currentRelease: app.currentRelease };
}

export async function startFakeApi(token = 'test-token'): Promise<FakeApi> {
  const state = {
    requests: [] as RecordedRequest[],
    apps: new Map<string, AppInfo>(),
    releases: new Map<string, Release[]>(),
    keys: [] as Key[],
    builds: new Map<string, Build[]>(),
    buildOutput: new Map<string, string>(),
    maintenance: new Set<string>(),
    configs: new Map<string, ConfigVars>(),
    status: { ok: true, components: [{ component: 'api', ok: true, detail: 'answering' }] } as PlatformStatusView,
    info: { domain: 'slipway.test', sshHost: 'git.slipway.test', sshPort: 2222, version: '0.1.0' } satisfies Info,
  };
  let nextKey = 1;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://fake');
      state.requests.push({
        method,
        url: `${url.pathname}${url.search}`,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });

      if (!url.pathname.startsWith('/api/v1/')) return fail(res, 404, 'not_found', 'Not found.');
      if (req.headers.authorization !== `Bearer ${token}`) {
        return fail(res, 401, 'unauthorized', 'The API token is missing or wrong.');
      }
      const parts = url.pathname.slice('/api/v1/'.length).split('/').map(decodeURIComponent);
      const route = `${method} /${parts.map((p, i) => (i % 2 === 1 ? ':' : p)).join('/')}`;
      const appName = parts[1];
      const app = appName === undefined ? undefined : state.apps.get(appName);
      const noApp = () => fail(res, 404, 'app_not_found', `Couldn't find that app: ${appName}.`);

      switch (route) {
        case 'GET /info':
          return send(res, 200, state.info);
        case 'GET /apps':
          return send(res, 200, [...state.apps.values()].map(summary));
        case 'POST /apps': {
          const name = (body as { name?: unknown } | undefined)?.name;
          if (typeof name !== 'string') return fail(res, 400, 'invalid_request', 'name is required.');
          if (state.apps.has(name)) return fail(res, 409, 'app_exists', `The app ${name} already exists: pick another name.`);
          const created: AppInfo = {
            name,
            url: `http://${name}.${state.info.domain}`,
            gitUrl: `ssh://git@${state.info.sshHost}:${state.info.sshPort}/${name}.git`,
            createdAt: new Date().toISOString(),
            currentRelease: null,
            formation: [],
            instances: [],
            release: null,
          };
          state.apps.set(name, created);
          return send(res, 201, summary(created));
        }
        case 'GET /apps/:':
          return app ? send(res, 200, app) : noApp();
        case 'DELETE /apps/:':
          if (!app) return noApp();
          if (url.searchParams.get('confirm') !== appName) {
            return fail(res, 400, 'confirmation_required', `Confirm with ?confirm=${appName}.`);
          }
          state.apps.delete(appName);
          return send(res, 204);
        case 'GET /apps/:/releases':
          return app ? send(res, 200, state.releases.get(appName) ?? []) : noApp();
        case 'GET /apps/:/builds':
          return app ? send(res, 200, state.builds.get(appName) ?? []) : noApp();
        case 'GET /apps/:/builds/:':
        case 'GET /apps/:/builds/:/output': {
          if (!app) return noApp();
          const build = (state.builds.get(appName) ?? []).find((b) => b.id === parts[3]);
          if (!build) return fail(res, 404, 'build_not_found', `${appName} has no build ${parts[3]}.`);
          return parts[4] === 'output'
            ? send(res, 200, { id: build.id, status: build.status, output: state.buildOutput.get(build.id) ?? '' })
            : send(res, 200, build);
        }
        case 'GET /apps/:/maintenance':
          return app ? send(res, 200, { maintenance: state.maintenance.has(appName) }) : noApp();
        case 'PUT /apps/:/maintenance': {
          if (!app) return noApp();
          const on = (body as { maintenance?: unknown } | undefined)?.maintenance;
          if (typeof on !== 'boolean') return fail(res, 400, 'invalid_request', 'Say whether maintenance mode is on.');
          if (on) state.maintenance.add(appName);
          else state.maintenance.delete(appName);
          return send(res, 200, { maintenance: on });
        }
        case 'GET /apps/:/config':
          return app ? send(res, 200, state.configs.get(appName) ?? {}) : noApp();
        case 'PATCH /apps/:/config': {
          if (!app) return noApp();
          const next = new Map(Object.entries(state.configs.get(appName) ?? {}));
          for (const [key, value] of Object.entries((body ?? {}) as Record<string, string | null>)) {
            if (value === null) next.delete(key);
            else next.set(key, value);
          }
          state.configs.set(appName, Object.fromEntries(next));
          return send(res, 200, Object.fromEntries(next));
        }
        case 'POST /apps/:/releases': {
          if (!app) return noApp();
          const version = (app.currentRelease ?? 0) + 1;
          app.currentRelease = version;
          const release: Release = { version, description: 'Rollback', status: 'succeeded', current: true, buildId: null, commit: null, failureReason: null, createdAt: new Date().toISOString() };
          return send(res, 201, release);
        }
        case 'POST /apps/:/ps/:': {
          if (parts[3] !== 'kill') return fail(res, 404, 'not_found', 'No route.');
          if (!app) return noApp();
          const target = (body as { instance?: unknown } | undefined)?.instance;
          const instance = app.instances.find((i) => i.id === target) ?? app.instances.filter((i) => `${i.type}.1` === target)[0];
          if (!instance) return fail(res, 404, 'instance_not_found', `${appName} has no instance ${String(target)}.`);
          app.instances = app.instances.filter((i) => i !== instance);
          return send(res, 200, instance);
        }
        case 'GET /status':
          return send(res, 200, state.status);
        case 'GET /keys':
          return send(res, 200, state.keys);
        case 'POST /keys': {
          const { publicKey, name } = (body ?? {}) as { publicKey?: unknown; name?: unknown };
          if (typeof publicKey !== 'string' || !publicKey.startsWith('ssh-')) {
            return fail(res, 422, 'invalid_key', 'That is not an SSH public key.');
          }
          const key: Key = {
            id: nextKey++,
            name: typeof name === 'string' ? name : 'unnamed',
            fingerprint: `SHA256:fake${nextKey}`,
            createdAt: new Date().toISOString(),
          };
          state.keys.push(key);
          return send(res, 201, key);
        }
        case 'DELETE /keys/:': {
          const index = state.keys.findIndex((k) => String(k.id) === parts[1] || k.fingerprint === parts[1]);
          if (index < 0) return fail(res, 404, 'key_not_found', `No key ${parts[1]}.`);
          state.keys.splice(index, 1);
          return send(res, 204);
        }
        default:
          return fail(res, 404, 'not_found', `No route ${route}.`);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests: state.requests,
    apps: state.apps,
    releases: state.releases,
    keys: state.keys,
    info: state.info,
    builds: state.builds,
    buildOutput: state.buildOutput,
    maintenance: state.maintenance,
    configs: state.configs,
    get status() { return state.status; },
    set status(value: PlatformStatusView) { state.status = value; },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
