/**
 * Every API route is declared once, here in shape and in api/routes/* in substance: its method and
 * path, zod schemas for what it reads and answers, the access it needs, the audit name of the change
 * it makes, and a handler that gets the validated input and the caller. From the same declarations
 * come the request checks, the authorization (one policy, engine/policy.ts), the audit log, the
 * OpenAPI document (api/openapi.ts) and the CLI's and console's types (api/schemas/*).
 *
 * A route cannot be added without saying who may call it: `access` is required, and the route
 * matrix test (test/unit/api/route-matrix.test.ts) exercises every declared route.
 */
import type { IncomingMessage } from 'node:http';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { SlipwayError, type ErrorCode } from '../lib/errors';
import { isHint } from './schemas/hint';
import type { AccessChecker, AccessRequest, Principal } from '../engine/policy';
import type { AuditRecord } from '../engine/audit-port';

export type { AuditRecord };

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
}

export interface RouteContext<P, Q, B> extends RouteInput<P, Q, B> {
  principal: Principal;
  /** The caller's address (audit log, login throttling). */
  address: string;
  req: Request;
  res: Response;
}

/** `public`: anyone, no credentials (login, health). Otherwise a function of the validated input. */
export type RouteAccess<P, Q, B> = 'public' | ((input: RouteInput<P, Q, B>, principal: Principal) => AccessRequest);

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export interface RouteSpec<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, R extends Schema | undefined> {
  method: Method;
  /** Express form, relative to /api/v1: `/apps/:app/config`. */
  path: string;
  summary: string;
  /** Groups routes in the OpenAPI document (apps, config, teams, …). */
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The answer's shape; without one (and without `produces`) the route answers 204 No Content. */
  response?: R;
  /** Success status when there is a body: 200 unless said (201 for creations). */
  status?: 200 | 201 | 202;
  /** The handler writes the answer itself (a stream, a file): its media type, for the document. */
  produces?: string;
  access: RouteAccess<Out<P>, Out<Q>, Out<B>>;
  /** The audit log's name for the change this route makes (`config.set`); absent for reads. */
  audit?: string;
  /**
   * `service`: the service behind the route writes the audit entry itself, in the change's own
   * transaction (accounts, keys); the route table then records nothing, so each action appears once.
   */
  auditedBy?: 'service';
  /** What the audit record names when the path does not (`POST /apps` names its new app in the body). */
  auditTarget?: (input: RouteInput<Out<P>, Out<Q>, Out<B>>) => { app?: string; team?: string };
  /** Error codes this route answers beyond the ones every route may (documented in the spec). */
  errors?: readonly ErrorCode[];
  handler(ctx: RouteContext<Out<P>, Out<Q>, Out<B>>): Promise<R extends Schema ? z.input<R> : void> | (R extends Schema ? z.input<R> : void);
}

/** A declared route with its types erased, as the table holds it. */
export interface Route {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  response?: Schema;
  status?: number;
  produces?: string;
  access: 'public' | ((input: RouteInput, principal: Principal) => AccessRequest);
  audit?: string;
  auditedBy?: 'service';
  auditTarget?: (input: RouteInput) => { app?: string; team?: string };
  errors?: readonly ErrorCode[];
  handler(ctx: RouteContext<unknown, unknown, unknown>): unknown;
}

/** Declares a route; the type parameters tie the handler's input to the schemas. */
export function defineRoute<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, R extends Schema | undefined = undefined>(
  spec: RouteSpec<P, Q, B, R>,
): Route {
  return spec as unknown as Route;
}

/** Identifies the caller of a request: null when it brought no credentials (401), throws when they are bad. */
export type Authenticator = (req: IncomingMessage, address: string) => Promise<Principal | null>;

export interface RouteTableDeps {
  authenticate: Authenticator;
  access: AccessChecker;
  /** Appends changes (refusals are recorded by the access checker). */
  audit?: (record: AuditRecord) => Promise<void>;
}

/** Zod's issues as one readable sentence: `body.name: Invalid input: expected string, received number`. */
export function describeIssues(error: z.ZodError, where: string): string {
  const hints = error.issues.filter((issue) => isHint(issue.message));
  if (hints.length > 0) return hints[0]!.message;
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
    return `${path}: ${issue.message}`;
  }).join('; ');
}

function parsePart(schema: Schema | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw new SlipwayError('invalid_request', `${describeIssues(result.error, where)}.`);
  return result.data;
}

/** The client's address as the API saw it. */
export function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function auditTarget(input: RouteInput, access: AccessRequest | null): { app?: string; team?: string } {
  const params = (input.params ?? {}) as Record<string, unknown>;
  const app = access?.app ?? (typeof params.app === 'string' ? params.app : undefined);
  const team = access?.team ?? (typeof params.team === 'string' ? params.team : undefined);
  return { ...(app ? { app } : {}), ...(team ? { team } : {}) };
}

const ANONYMOUS: Principal = Object.freeze({ kind: 'user', userId: 0, userName: 'anonymous', platformAdmin: false, scope: 'read', via: 'token', credential: '' }) as Principal;

/** Mounts every route of the table on an Express router: authenticate, validate, authorize, run, audit, answer. */
export function mountRoutes(router: Router, routes: readonly Route[], deps: RouteTableDeps): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      const address = clientAddress(req);
      let principal: Principal | null = null;
      if (route.access !== 'public') {
        principal = await deps.authenticate(req, address);
        if (!principal) throw new SlipwayError('unauthorized', 'Sign in first: run `slipway login` (or set SLIPWAY_TOKEN to an API token).');
      }
      const input: RouteInput = {
        params: parsePart(route.params, req.params, 'params'),
        query: parsePart(route.query, req.query, 'query'),
        body: parsePart(route.body, req.body, 'body'),
      };
      const access = route.access === 'public' || !principal ? null : route.access(input, principal);
      if (access && principal) await deps.access.check({ ...principal, ...(principal.kind === 'user' ? { address } : {}) } as Principal, access);

      const caller = principal ?? ANONYMOUS;
      const record = async (result: 'ok' | 'failed', detail?: Record<string, unknown>) => {
        if (!route.audit || route.auditedBy === 'service' || !deps.audit) return;
        await deps.audit({ principal: caller, address, action: route.audit, ...auditTarget(input, access), ...route.auditTarget?.(input), result, ...(detail ? { detail } : {}) });
      };

      let output: unknown;
      try {
        output = await route.handler({ ...input, principal: caller, address, req, res });
      } catch (error) {
        await record('failed', { code: (error as { code?: unknown }).code ?? 'internal' });
        throw error;
      }
      await record('ok');
      if (route.produces || res.headersSent) return;
      if (!route.response) { res.status(204).end(); return; }
      // The response schema also strips whatever the handler returned that the contract does not name.
      res.status(route.status ?? 200).json(route.response.parse(output));
    });
  }
}
