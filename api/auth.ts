/** Who is calling: the Bearer token of a request, turned into a principal by the identity service. */
import type { Request } from 'express';
import type { IdentityService } from '../engine/identity-service';
import type { Principal } from '../engine/policy';
import type { Authenticator } from './route-table';

/** The Bearer token of an Authorization header; null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() || null;
}

/** Identifies the caller by its API token: null without one (401), a clear 401 for a bad one. */
export function tokenAuthenticator(identity: Pick<IdentityService, 'authenticate'>): Authenticator {
  return async (req: Request, address: string): Promise<Principal | null> => {
    const token = bearerToken(req.header('authorization'));
    if (!token) return null;
    // A principal read fresh from the store, or a 401 saying what to do (unknown, revoked or expired token, disabled user).
    return identity.authenticate(token, address);
  };
}
