/** The console's HTTP side over a real socket with fake services: sign-in, CSRF, expiry, files, live events. */
import fs from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createApi, listen } from '../../../api/server';
import { CONTENT_SECURITY_POLICY } from '../../../api/static';
import { ChangeFeed } from '../../../engine/change-feed';
import { ConsoleSessions, SESSION_IDLE_MS } from '../../../engine/console-sessions';
import type { UserPrincipal } from '../../../engine/principal';
import { SlipwayError } from '../../../lib/errors';
import { apiDeps, API_TOKEN } from '../../support/api';
import { FakeClock, MemorySessionStore } from '../../support/console-fakes';

describe('api: the console (sessions, CSRF, files, events)', () => {
  let server: http.Server;
  let origin: string;
  let dir: string;
  const clock = new FakeClock(Date.now());
  const feed = new ChangeFeed();
  const configChanges: unknown[] = [];
  const logouts: UserPrincipal[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-console-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Slipway</title><script type="module" src="/assets/index-abc123.js"></script>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("hi")');
    const login = {
      login: async (name: string, password: string) => {
        if (name === 'ada' && password === 'correct horse') return { user: { id: 1, name: 'ada', platformAdmin: false }, record: { id: 40 } };
        throw new SlipwayError('unauthorized', 'Wrong user name or password.');
      },
      logout: async (principal: UserPrincipal) => { logouts.push(principal); },
    };
    const deps = apiDeps({
      config: { update: async (_app: string, body: unknown) => { configChanges.push(body); return { config: {}, release: null }; } },
      apps: { list: async () => [], addresses: { urlFor: (a: string) => a, gitUrlFor: (a: string) => a, hostFor: (a: string) => a } },
      console: { sessions: new ConsoleSessions(new MemorySessionStore({ 1: 'ada' }), clock.now), login, feed, dir, heartbeatMs: 60_000 },
    } as never);
    server = await listen(createApi(deps), '127.0.0.1', 0);
    origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    feed.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // fetch keeps its connections alive
    await closed;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (): Promise<{ cookie: string; csrf: string; setCookie: string }> => {
    const response = await fetch(`${origin}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ada', password: 'correct horse' }),
    });
    expect(response.status).to.equal(201);
    const setCookie = response.headers.get('set-cookie') ?? '';
    const body = await response.json() as { csrfToken: string; user: { name: string } };
    expect(body.user.name).to.equal('ada');
    return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, setCookie };
  };

  const patchConfig = (headers: Record<string, string>) => fetch(`${origin}/api/v1/apps/shop/config`, {
    method: 'PATCH', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ A: '1' }),
  });

  it('signs in with a name and password into an HttpOnly, SameSite=Strict cookie the page cannot read', async () => {
    const { setCookie } = await signIn();
    expect(setCookie).to.match(/^slipway_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).to.include('HttpOnly').and.include('SameSite=Strict').and.include('Path=/api/');
    expect(setCookie, 'plain HTTP: no Secure flag').to.not.include('Secure');
  });

  it('marks the cookie Secure when the browser came over HTTPS through a proxy on this host', async () => {
    const response = await fetch(`${origin}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ name: 'ada', password: 'correct horse' }),
    });
    expect(response.headers.get('set-cookie')).to.include('Secure');
  });

  it('refuses a wrong password with the API\'s message and no cookie', async () => {
    const response = await fetch(`${origin}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ada', password: 'nope' }),
    });
    expect(response.status).to.equal(401);
    expect(response.headers.get('set-cookie')).to.equal(null);
    expect(await response.json()).to.deep.equal({ error: { code: 'unauthorized', message: 'Wrong user name or password.' } });
  });

  it('authenticates API requests by the cookie and tells the page its CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    const apps = await fetch(`${origin}/api/v1/apps`, { headers: { cookie } });
    expect(apps.status).to.equal(200);
    const session = await fetch(`${origin}/api/v1/session`, { headers: { cookie } });
    expect((await session.json() as { csrfToken: string }).csrfToken).to.equal(csrf);
  });

  it('refuses a cookie-authenticated change without the CSRF token, or with another one', async () => {
    const { cookie } = await signIn();
    const before = configChanges.length;
    const attempts: Record<string, string>[] = [{ cookie }, { cookie, 'x-csrf-token': 'x'.repeat(43) }];
    for (const headers of attempts) {
      const response = await patchConfig(headers);
      expect(response.status).to.equal(403);
      expect((await response.json() as { error: { code: string } }).error.code).to.equal('csrf_refused');
    }
    expect(configChanges.length).to.equal(before);
  });

  it('refuses a cookie-authenticated change from another origin, even with the token', async () => {
    const { cookie, csrf } = await signIn();
    const response = await patchConfig({ cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' });
    expect(response.status).to.equal(403);
  });

  it('accepts a change with the cookie and its CSRF token from the console\'s own origin', async () => {
    const { cookie, csrf } = await signIn();
    const response = await patchConfig({ cookie, 'x-csrf-token': csrf, origin });
    expect(response.status).to.equal(200);
    expect(configChanges.at(-1)).to.deep.equal({ A: '1' });
  });

  it('keeps bearer tokens working without CSRF tokens (the CLI)', async () => {
    const response = await patchConfig({ authorization: `Bearer ${API_TOKEN}` });
    expect(response.status).to.equal(200);
  });

  it('signs out: the cookie is cleared and no longer works, and the login token behind it is revoked', async () => {
    const { cookie, csrf } = await signIn();
    const out = await fetch(`${origin}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).to.equal(204);
    expect(logouts.at(-1)).to.include({ kind: 'user', userId: 1, via: 'token', credential: '40' });
    expect(out.headers.get('set-cookie')).to.include('Max-Age=0');
    const after = await fetch(`${origin}/api/v1/apps`, { headers: { cookie } });
    expect(after.status).to.equal(401);
    expect((await after.json() as { error: { code: string } }).error.code).to.equal('session_expired');
  });

  it('ends a session left unused too long', async () => {
    const { cookie } = await signIn();
    clock.advance(SESSION_IDLE_MS + 1000);
    const response = await fetch(`${origin}/api/v1/apps`, { headers: { cookie } });
    expect(response.status).to.equal(401);
  });

  it('serves the console at / and at its own addresses, with a strict CSP and no caching of the document', async () => {
    for (const route of ['/', '/apps/shop/config']) {
      const response = await fetch(`${origin}${route}`);
      expect(response.status, route).to.equal(200);
      expect(response.headers.get('content-type')).to.include('text/html');
      expect(response.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-frame-options')).to.equal('DENY');
      expect(response.headers.get('cache-control')).to.equal('no-cache');
      expect(await response.text()).to.include('/assets/index-abc123.js');
    }
    expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.include("style-src 'self'").and.not.include('unsafe');
  });

  it('caches hashed assets for a year and answers a missing one with 404, never the document', async () => {
    const asset = await fetch(`${origin}/assets/index-abc123.js`);
    expect(asset.status).to.equal(200);
    expect(asset.headers.get('cache-control')).to.include('max-age=31536000').and.include('immutable');
    const missing = await fetch(`${origin}/assets/index-old.js`);
    expect(missing.status).to.equal(404);
  });

  it('keeps unknown API paths JSON errors', async () => {
    const response = await fetch(`${origin}/api/v1/nothing-here`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(response.status).to.equal(404);
    expect(await response.json()).to.have.nested.property('error.code', 'not_found');
  });

  it('streams changes made through the API as events, and replays missed ones after Last-Event-ID', async () => {
    const { cookie, csrf } = await signIn();
    const controller = new AbortController();
    const stream = await fetch(`${origin}/api/v1/events`, { headers: { cookie }, signal: controller.signal });
    expect(stream.headers.get('content-type')).to.include('text/event-stream');
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += decoder.decode(value);
      }
    };
    await readUntil('event: hello');
    const helloId = /id: (\S+)\nevent: hello/.exec(text)![1]!;
    await patchConfig({ cookie, 'x-csrf-token': csrf });
    await readUntil('"app":"shop"');
    expect(text).to.match(/event: change\ndata: \{"kind":"app","app":"shop"/);
    controller.abort();

    const resumed = await fetch(`${origin}/api/v1/events`, { headers: { cookie, 'last-event-id': helloId } });
    const again = resumed.body!.getReader();
    let replayed = '';
    while (!replayed.includes('"app":"shop"')) replayed += decoder.decode((await again.read()).value);
    await again.cancel();

    const stale = await fetch(`${origin}/api/v1/events`, { headers: { cookie, 'last-event-id': '00000000.1' } });
    const staleReader = stale.body!.getReader();
    let staleText = '';
    while (!staleText.includes('event: resync')) staleText += decoder.decode((await staleReader.read()).value);
    await staleReader.cancel();
  });
});
