import { Router } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { IdentityService } from '../../engine/identity-service';
import { currentUser } from '../auth';
import { keyJson } from '../serializers';

export function keyRoutes(identity: IdentityService): Router {
  const router = Router();

  router.get('/keys', async (_req, res) => {
    res.json((await identity.keys()).map(keyJson));
  });

  router.post('/keys', async (req, res) => {
    const body = req.body as { publicKey?: unknown; name?: unknown };
    if (typeof body?.publicKey !== 'string') {
      throw new SlipwayError('invalid_request', 'Send the public key: {"publicKey": "ssh-ed25519 AAAA… you@host"}.');
    }
    const name = typeof body.name === 'string' ? body.name : undefined;
    res.status(201).json(keyJson(await identity.addKey(currentUser(res), body.publicKey, name)));
  });

  router.delete('/keys/:id', async (req, res) => {
    await identity.removeKey(String(req.params.id ?? ''));
    res.status(204).end();
  });

  return router;
}
