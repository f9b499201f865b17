/** Who is calling: the Bearer token of a request, turned into a principal by the identity service. */
import type { IncomingMessage } from 'node:http';
import { SlipwayError } from '../lib/errors';
import type { IdentityService } from '../engine/identity-service';
import type { Principal } from '../engine/policy';
import type { Authenticator } from './route-table';

/** The Bearer token of an Authorization header; null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() || null;
}

/** Identifies the caller by its API token: null without one (401), a clear 401 for a bad one. */
export function tokenAuthenticator(identity: Pick<IdentityService, 'authenticate'>): Authenticator {
  return async (req: IncomingMessage, address: string): Promise<Principal | null> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    const user = await identity.authenticate(token);
    if (!user) throw new SlipwayError('unauthorized', 'This API token is not valid. Run `slipway login`, or use a token from `slipway tokens:create`.');
    // Until accounts carry their own roles (migration 006), the one user is the platform's admin.
    return { kind: 'user', userId: user.id, userName: user.name, platformAdmin: true, scope: 'admin', via: 'token', credential: '', address };
  };
}
