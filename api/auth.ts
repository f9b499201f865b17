/** Who is calling: the Bearer token of a request, turned into a principal by the identity service. */
import type { Request } from 'express';
import type { IdentityService } from '../engine/identity-service';
import type { Principal } from '../engine/policy';
import type { Authenticator } from './route-table';

/** The Bearer token of an Authorization header; null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() || null;
}

/**
 * Identifies the caller by its API token: null without one (401). A bad token is a 401 from
 * IdentityService.authenticate saying which (unknown, revoked, expired, disabled user).
 */
export function tokenAuthenticator(identity: Pick<IdentityService, 'authenticate'>): Authenticator {
  return async (req: Request, address: string): Promise<Principal | null> => {
    const token = bearerToken(req.header('authorization'));
    if (!token) return null;
    return identity.authenticate(token, address);
  };
}
