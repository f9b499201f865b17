/** Config vars: GET and PATCH /apps/:app/config (docs/contracts/api.md). */
import { Router } from 'express';
import type { ConfigService } from '../../engine/config-service';

export interface ConfigRoutesDeps {
  config: ConfigService;
}

export function configRoutes({ config }: ConfigRoutesDeps): Router {
  const router = Router();

  router.get('/apps/:app/config', async (req, res) => {
    res.json(await config.get(String(req.params.app ?? '')));
  });

  // {"KEY": "value", "OTHER": null}: null unsets. Answers the config after the change.
  router.patch('/apps/:app/config', async (req, res) => {
    const result = await config.update(String(req.params.app ?? ''), req.body as unknown);
    res.json(result.config);
  });

  return router;
}
