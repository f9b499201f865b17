/**
 * Console sign-in (docs/console.md, "Sessions"): `POST /api/v1/session` checks a name and password
 * with the identity service and answers with an HttpOnly, SameSite=Strict cookie (Secure over
 * HTTPS) holding the session secret; `GET` tells who is signed in and the CSRF token; `DELETE`
 * signs out. Requests authenticated by that cookie must carry the CSRF token in `X-CSRF-Token`
 * on every change, and an `Origin`, when sent, must be the API's own.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { SlipwayError } from '../lib/errors';
import type { ConsoleSession, ConsoleSessions } from '../engine/console-sessions';
import type { Principal, UserPrincipal } from '../engine/policy';
import { defineRoute, type Authenticator, type Route } from './route-table';
import { SessionSchema, SignInSchema } from './schemas/session';

export const SESSION_COOKIE = 'slipway_session';
export const CSRF_HEADER = 'x-csrf-token';
/** The cookie goes only with API requests, never with the console's documents and assets. */
const COOKIE_PATH = '/api/';

/**
 * The identity service's sign-in (engine/identity-service.ts): `login` checks the password (slowed
 * down after failures, audited) and makes a login token, whose secret the console never keeps;
 * `logout` revokes that token when the session is signed out.
 */
export interface ConsoleLogin {
  login(name: string, password: string, address: string | null, description: string | null): Promise<{ user: { id: number; name: string; platformAdmin: boolean }; record: { id: number } }>;
  logout(principal: UserPrincipal): Promise<void>;
}

export interface SessionDeps {
  sessions: ConsoleSessions;
  /** Absent on an installation without passwords: sign-in then says so. */
  login?: ConsoleLogin;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Whether the browser reached us over HTTPS: directly, or through a proxy on this host that says so. */
function overHttps(req: Request): boolean {
  if (req.secure) return true;
  const peer = req.socket.remoteAddress ?? '';
  const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  return loopback && req.header('x-forwarded-proto') === 'https';
}

function sessionCookie(req: Request, value: string, maxAgeSeconds: number): string {
  const parts = [`${SESSION_COOKIE}=${value}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (overHttps(req)) parts.push('Secure');
  return parts.join('; ');
}

/** An Origin header, when the browser sends one, must name this very host (scheme and port included). */
function checkOrigin(req: Request): void {
  const origin = req.header('origin');
  if (origin === undefined) return;
  const host = req.header('host');
  const expected = host ? `${overHttps(req) ? 'https' : 'http'}://${host}` : null;
  if (origin !== expected) {
    throw new SlipwayError('csrf_refused', `Refused a request from another origin (${origin.slice(0, 100)}). Use the console at ${expected ?? 'its own address'}.`);
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function sessionJson(session: { userName: string; platformAdmin: boolean; csrfToken: string; expiresAt: Date }) {
  return { user: { name: session.userName, platformAdmin: session.platformAdmin }, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
}

/** Who a session's requests are made by: the user with all of their permissions, via the session. */
export function sessionPrincipal(session: ConsoleSession, address: string | undefined): UserPrincipal {
  return {
    kind: 'user', userId: session.userId, userName: session.userName, platformAdmin: session.platformAdmin, scope: 'admin',
    via: 'session', credential: session.tokenId === null ? 'session' : String(session.tokenId),
    ...(address ? { address } : {}),
  };
}

/** The session a request's cookie names (set by sessionAuth), if it was authenticated that way. */
export function requestSession(res: Response): ConsoleSession | null {
  return (res.locals.session as ConsoleSession | undefined) ?? null;
}

/**
 * Authenticates requests that carry the session cookie and no Authorization header (a bearer token,
 * the CLI's, needs no CSRF check: a browser never adds one by itself), and refuses a change made
 * with the cookie but without the session's CSRF token or from another origin. Other requests go
 * to `next` (the bearer-token authenticator).
 */
export function sessionAuthenticator({ sessions }: SessionDeps, next: Authenticator): Authenticator {
  return async (incoming, address: string): Promise<Principal | null> => {
    // Only Express's requests carry a session (the attach protocol's upgrade takes tokens only).
    const req = incoming as Request;
    if (typeof req.header !== 'function') return next(incoming, address);
    const secret = readCookie(req.header('cookie'), SESSION_COOKIE);
    if (secret === null || req.header('authorization') !== undefined) return next(req, address);
    const session = await sessions.resolve(secret);
    if (!session) {
      req.res?.setHeader('set-cookie', sessionCookie(req, '', 0));
      throw new SlipwayError('session_expired', 'Your console session has ended (signed out, or 12 hours old, or 2 hours unused). Sign in again.');
    }
    if (!SAFE_METHODS.has(req.method)) {
      checkOrigin(req);
      if (!sameToken(req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
        throw new SlipwayError('csrf_refused', `A change made with the console's session cookie needs the session's CSRF token in the ${CSRF_HEADER} header. Reload the console and try again.`);
      }
    }
    if (req.res) req.res.locals.session = session;
    return sessionPrincipal(session, address);
  };
}

/** `POST`, `GET` and `DELETE /session`: public routes (they read the cookie themselves). */
export function sessionRoutes({ sessions, login }: SessionDeps): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/session', tag: 'console', summary: 'Sign in to the console: sets the session cookie',
      body: SignInSchema, response: SessionSchema, status: 201, access: 'public',
      errors: ['login_failed', 'login_throttled', 'user_disabled', 'csrf_refused'],
      handler: async ({ req, res, body, address }) => {
        checkOrigin(req);
        if (!login) throw new SlipwayError('unauthorized', 'Signing in with a password is not available on this installation. Use the CLI with an API token.');
        let signedIn: Awaited<ReturnType<ConsoleLogin['login']>>;
        try {
          signedIn = await login.login(body.name, body.password, address, 'console sign-in');
        } catch (error) {
          // Too many failures: the identity service says when to try again.
          const wait = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
          if (typeof wait === 'number') res.setHeader('retry-after', String(wait));
          throw error;
        }
        const started = await sessions.start(signedIn.user.id, address, signedIn.record.id);
        res.setHeader('set-cookie', sessionCookie(req, started.secret, Math.floor((started.expiresAt.getTime() - Date.now()) / 1000)));
        res.setHeader('cache-control', 'no-store');
        return sessionJson({ userName: signedIn.user.name, platformAdmin: signedIn.user.platformAdmin, csrfToken: started.csrfToken, expiresAt: started.expiresAt });
      },
    }),
    defineRoute({
      method: 'get', path: '/session', tag: 'console', summary: 'Who is signed in to the console, and the CSRF token',
      response: SessionSchema, access: 'public', errors: ['session_expired'],
      handler: async ({ req, res }) => {
        const secret = readCookie(req.header('cookie'), SESSION_COOKIE);
        const session = secret === null ? null : await sessions.resolve(secret);
        if (!session) throw new SlipwayError('session_expired', 'Not signed in to the console. Sign in with your name and password.');
        res.setHeader('cache-control', 'no-store');
        return sessionJson(session);
      },
    }),
    defineRoute({
      method: 'delete', path: '/session', tag: 'console', summary: 'Sign out of the console: the session ends and its cookie is cleared',
      access: 'public', errors: ['csrf_refused'],
      handler: async ({ req, res, address }) => {
        const secret = readCookie(req.header('cookie'), SESSION_COOKIE);
        const session = secret === null ? null : await sessions.resolve(secret);
        if (secret !== null && session) {
          checkOrigin(req);
          if (!sameToken(req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
            throw new SlipwayError('csrf_refused', `Signing out needs the session's CSRF token in the ${CSRF_HEADER} header. Reload the console and try again.`);
          }
          await sessions.end(secret);
          if (session.tokenId !== null && login) await login.logout({ ...sessionPrincipal(session, address), via: 'token', credential: String(session.tokenId) });
        }
        res.setHeader('set-cookie', sessionCookie(req, '', 0));
      },
    }),
  ];
}
