/**
 * The accounts part of the CLI tests' fake API (fake-api.ts): sign-in, users, tokens, teams,
 * members, access, transfers and the audit log with its SSE stream, kept in memory.
 */
import type http from 'node:http';
import type {
  AccessEntry, Account, AuditEvent, CreatedToken, MemberView, TeamView, TokenView, UserView,
} from '../../../cli/accounts-types';

export interface FakeAccounts {
  users: Map<string, UserView & { password: string }>;
  /** Bearer token → user name; the fake's own token belongs to `admin`. */
  sessions: Map<string, string>;
  tokens: Array<TokenView & { owner: string; secret: string }>;
  teams: Map<string, TeamView>;
  members: Map<string, MemberView[]>;
  access: Map<string, AccessEntry[]>;
  /** Newest first, as GET /audit answers. */
  audit: AuditEvent[];
  /** Open /audit/stream connections; tests write events to them or end them. */
  streams: Set<http.ServerResponse>;
  /** When set, GET /audit/stream answers this error. */
  refuseStream?: { status: number; code: string; message: string };
  /** Resolves the next time a client opens /audit/stream. */
  nextStream(): Promise<http.ServerResponse>;
}

type Reply = (status: number, body?: unknown) => void;
type Fail = (status: number, code: string, message: string) => void;

export function createFakeAccounts(adminToken: string): FakeAccounts {
  const now = new Date().toISOString();
  const waiting: Array<(res: http.ServerResponse) => void> = [];
  const state: FakeAccounts = {
    users: new Map([['admin', { name: 'admin', email: 'admin@example.com', platformAdmin: true, disabled: false, createdAt: now, password: 'admin-pass' }]]),
    sessions: new Map([[adminToken, 'admin']]),
    tokens: [],
    teams: new Map([['admin', { name: 'admin', role: 'admin', personal: true, memberPermissions: ['view', 'deploy', 'operate'], createdAt: now }]]),
    members: new Map([['admin', [{ user: 'admin', role: 'admin' }]]]),
    access: new Map(),
    audit: [],
    streams: new Set(),
    nextStream: () => new Promise((resolve) => waiting.push(resolve)),
  };
  (state as unknown as { waiting: typeof waiting }).waiting = waiting;
  return state;
}

/** The stream's text for one event. */
export function sseEvent(event: AuditEvent): string {
  return `id: ${event.id}\nevent: audit\ndata: ${JSON.stringify(event)}\n\n`;
}

let nextId = 1;

/** Answers an accounts route; false when `route` is not one. `user` is the caller (null: no valid token). */
export function handleAccounts(
  state: FakeAccounts, route: string, parts: string[], url: URL, body: unknown, user: string | null,
  req: http.IncomingMessage, res: http.ServerResponse, send: Reply, fail: Fail,
): boolean {
  const b = (body ?? {}) as Record<string, unknown>;
  const userView = (name: string): UserView => {
    const { password: _password, ...view } = state.users.get(name)!;
    return view;
  };
  switch (route) {
    case 'POST /login': {
      const found = state.users.get(String(b.name));
      if (!found || found.password !== b.password || found.disabled) {
        fail(401, 'invalid_credentials', 'The name or the password is wrong.');
        return true;
      }
      const token = `slp_session_${nextId++}`;
      state.sessions.set(token, found.name);
      send(201, { token, tokenId: nextId++, user: { name: found.name, email: found.email }, expiresAt: null });
      return true;
    }
    case 'POST /logout': {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token) state.sessions.delete(token);
      send(204);
      return true;
    }
  }
  if (user === null) return false;
  switch (route) {
    case 'GET /account': {
      const me = state.users.get(user)!;
      const teams = [...state.members.entries()].flatMap(([team, members]) => members.filter((m) => m.user === user).map((m) => ({ name: team, role: m.role })));
      send(200, { name: me.name, email: me.email, platformAdmin: me.platformAdmin, teams } satisfies Account);
      return true;
    }
    case 'GET /users':
      send(200, [...state.users.keys()].map(userView));
      return true;
    case 'POST /users': {
      const name = String(b.name);
      if (state.users.has(name)) {
        fail(409, 'user_exists', `The user ${name} already exists.`);
        return true;
      }
      const password = typeof b.password === 'string' ? b.password : null;
      state.users.set(name, { name, email: String(b.email), platformAdmin: false, disabled: false, createdAt: new Date().toISOString(), password: password ?? 'one-time-Pa55' });
      send(201, { user: userView(name), password: password === null ? 'one-time-Pa55' : null });
      return true;
    }
    case 'PATCH /users/:': {
      const found = state.users.get(parts[1]!);
      if (!found) {
        fail(404, 'user_not_found', `There is no user ${parts[1]}.`);
        return true;
      }
      if (typeof b.disabled === 'boolean') found.disabled = b.disabled;
      send(200, userView(found.name));
      return true;
    }
    case 'PUT /account/:': {
      const me = state.users.get(user)!;
      if (b.current !== me.password) {
        fail(403, 'wrong_password', 'The current password is wrong: nothing was changed.');
        return true;
      }
      me.password = String(b.password);
      send(200, { loginsEnded: 1 });
      return true;
    }
    case 'POST /users/:/password': {
      const found = state.users.get(parts[1]!);
      if (!found) {
        fail(404, 'user_not_found', `There is no user ${parts[1]}.`);
        return true;
      }
      const password = typeof b.password === 'string' ? b.password : null;
      found.password = password ?? 'reset-Pa55-word';
      send(200, { user: found.name, password: password === null ? found.password : null, loginsEnded: 2 });
      return true;
    }
    case 'GET /tokens':
      send(200, state.tokens.filter((t) => t.owner === user).map(({ owner: _o, secret: _s, ...t }) => t));
      return true;
    case 'POST /tokens': {
      const secret = `slp_${nextId++}`;
      const expiresAt = typeof b.expiresIn === 'number' ? new Date(Date.now() + b.expiresIn * 1000).toISOString() : null;
      const token: CreatedToken = {
        id: nextId++, kind: 'api', description: typeof b.description === 'string' ? b.description : null, scope: (b.scope as CreatedToken['scope']) ?? 'admin',
        createdAt: new Date().toISOString(), expiresAt, lastUsedAt: null, current: false, token: secret,
      };
      const { token: _secret, ...view } = token;
      state.tokens.push({ ...view, owner: user, secret });
      send(201, token);
      return true;
    }
    case 'DELETE /tokens/:': {
      const index = state.tokens.findIndex((t) => String(t.id) === parts[1] && t.owner === user);
      if (index < 0) {
        fail(404, 'token_not_found', `You have no token ${parts[1]}.`);
        return true;
      }
      const [revoked] = state.tokens.splice(index, 1);
      const { owner: _o, secret: _s, ...view } = revoked!;
      send(200, view);
      return true;
    }
    case 'GET /teams':
      send(200, [...state.teams.values()]);
      return true;
    case 'POST /teams': {
      const team: TeamView = { name: String(b.name), role: 'admin', personal: false, memberPermissions: ['view', 'deploy', 'operate'], createdAt: new Date().toISOString() };
      state.teams.set(team.name, team);
      state.members.set(team.name, [{ user, role: 'admin' }]);
      send(201, team);
      return true;
    }
    case 'PATCH /teams/:': {
      const team = state.teams.get(parts[1]!);
      if (!team) {
        fail(404, 'team_not_found', `No team named "${parts[1]}" that you belong to.`);
        return true;
      }
      team.memberPermissions = ['view', ...(b.memberPermissions as TeamView['memberPermissions']).filter((p) => p !== 'view')];
      send(200, team);
      return true;
    }
    case 'GET /teams/:/members':
    case 'POST /teams/:/members':
    case 'PATCH /teams/:/members/:':
    case 'DELETE /teams/:/members/:': {
      const members = state.members.get(parts[1]!);
      if (!members) {
        fail(404, 'team_not_found', `There is no team ${parts[1]}.`);
        return true;
      }
      if (route.startsWith('GET')) {
        send(200, members);
      } else if (route.startsWith('POST')) {
        const member: MemberView = { user: String(b.user), role: b.role as MemberView['role'] };
        members.push(member);
        send(201, member);
      } else {
        const member = members.find((m) => m.user === parts[3]);
        if (!member) {
          fail(404, 'member_not_found', `${parts[3]} is not a member of ${parts[1]}.`);
        } else if (route.startsWith('PATCH')) {
          member.role = b.role as MemberView['role'];
          send(200, member);
        } else {
          members.splice(members.indexOf(member), 1);
          send(204);
        }
      }
      return true;
    }
    case 'GET /audit': {
      let events = state.audit;
      for (const field of ['app', 'team', 'user'] as const) {
        const wanted = url.searchParams.get(field);
        if (wanted !== null) events = events.filter((e) => e[field] === wanted);
      }
      const limit = Number(url.searchParams.get('limit') ?? 50);
      send(200, { events: events.slice(0, limit), next: null });
      return true;
    }
    case 'GET /audit/:': {
      if (parts[1] !== 'stream') return false;
      if (state.refuseStream) {
        fail(state.refuseStream.status, state.refuseStream.code, state.refuseStream.message);
        return true;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': connected\n\n');
      state.streams.add(res);
      res.on('close', () => state.streams.delete(res));
      const waiting = (state as unknown as { waiting: Array<(r: http.ServerResponse) => void> }).waiting;
      waiting.splice(0).forEach((resolve) => resolve(res));
      return true;
    }
    default:
      return false;
  }
}
