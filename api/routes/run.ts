/**
 * One-off processes ("dynos" in Heroku's API): POST starts one detached or prepares one to attach
 * to (through the Upgrade of api/attach-server.ts), GET lists them, DELETE stops one. docs/run.md.
 */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import { parseRunRequest, RunRequestError, type OneOffInfo } from '../../engine/one-off';
import type { OneOffService } from '../../engine/one-off-service';
import { currentUser } from '../auth';
import { ATTACH_PROTOCOL } from '../attach-protocol';
import { attachPath } from '../attach-server';

export interface RunRoutesDeps {
  oneOffs: OneOffService;
  /** How long a prepared one-off waits for its client to attach, as told to clients. */
  attachTimeoutSeconds: number;
}

function param(req: Request, name: string): string {
  return String(req.params[name] ?? '');
}

export function dynoJson(info: OneOffInfo) {
  return {
    id: info.id,
    app: info.app,
    type: 'run',
    release: info.release,
    command: info.command,
    state: info.state,
    startedAt: info.startedAt ? info.startedAt.toISOString() : null,
  };
}

export function runRoutes({ oneOffs, attachTimeoutSeconds }: RunRoutesDeps): Router {
  const router = Router();

  router.post('/apps/:app/dynos', async (req, res) => {
    let request;
    try {
      request = parseRunRequest(req.body as unknown);
    } catch (error) {
      if (error instanceof RunRequestError) throw new SlipwayError('invalid_request', error.message);
      throw error;
    }
    const run = await oneOffs.prepare(param(req, 'app'), request);
    if (!request.attach) {
      res.status(201).json({ ...dynoJson(await oneOffs.startDetached(run)), attach: null });
      return;
    }
    oneOffs.reserve(run, String(currentUser(res).id));
    res.status(201).json({
      ...dynoJson(run.info),
      attach: { url: attachPath(run.info.app, run.info.id), protocol: ATTACH_PROTOCOL, expiresInSeconds: attachTimeoutSeconds, tty: request.tty },
    });
  });

  router.get('/apps/:app/dynos', async (req, res) => {
    res.json((await oneOffs.list(param(req, 'app'))).map(dynoJson));
  });

  router.delete('/apps/:app/dynos/:id', async (req, res) => {
    await oneOffs.stop(param(req, 'app'), param(req, 'id'));
    res.status(204).end();
  });

  return router;
}
