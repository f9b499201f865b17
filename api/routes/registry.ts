/** The registry's content for the admin (`slipway registry:info`; docs/contracts/api.md). */
import { Router } from 'express';
import type { RegistryInfo } from '../../engine/image-janitor';

export interface RegistryRoutesDeps {
  registryInfo(): Promise<RegistryInfo>;
}

export function registryRoutes(deps: RegistryRoutesDeps): Router {
  const router = Router();
  router.get('/registry', async (_req, res) => {
    res.json(await deps.registryInfo());
  });
  return router;
}
