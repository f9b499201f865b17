/** Bearer-token authentication for every API route but /health. */
import type { NextFunction, Request, Response } from 'express';
import { SlipwayError } from '../lib/errors';
import type { IdentityService } from '../engine/identity-service';
import type { User } from '../engine/model';
import type { UserPrincipal } from '../engine/principal';

export function requireToken(identity: IdentityService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Already authenticated by the console's session cookie (api/session.ts).
    if (res.locals.user) { next(); return; }
    const header = req.header('authorization') ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) {
      next(new SlipwayError('unauthorized', 'No API token given. The CLI reads it from SLIPWAY_TOKEN or the credentials file written by scripts/up.'));
      return;
    }
    // authenticate throws a 401 (unknown, revoked, expired token, disabled user) with what to do.
    identity.authenticate(token, req.ip).then((principal) => {
      res.locals.principal = principal;
      res.locals.user = { id: principal.userId, name: principal.userName } satisfies User;
      next();
    }).catch(next);
  };
}

export function currentUser(res: Response): User {
  return res.locals.user as User;
}

/** The authenticated principal of the request (engine/principal.ts). */
export function currentPrincipal(res: Response): UserPrincipal {
  return res.locals.principal as UserPrincipal;
}
