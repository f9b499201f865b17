/** Bearer-token authentication for every API route but /health. */
import type { NextFunction, Request, Response } from 'express';
import { SlipwayError } from '../lib/errors';
import type { IdentityService } from '../engine/identity-service';
import type { User } from '../engine/model';

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
    identity.authenticate(token).then((user) => {
      if (!user) throw new SlipwayError('unauthorized', 'This API token is not valid. Use the token from the credentials file written by scripts/up.');
      res.locals.user = user;
      next();
    }).catch(next);
  };
}

export function currentUser(res: Response): User {
  return res.locals.user as User;
}
