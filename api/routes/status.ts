/** GET /status: platform health, one entry per component (`slipway status`, docs/contracts/api.md). */
import { Router } from 'express';
import type { PlatformStatus } from '../../engine/platform-status';

export function statusRoutes(status: PlatformStatus): Router {
  const router = Router();
  router.get('/status', async (_req, res) => {
    const components = await status.check();
    res.json({ ok: components.every((c) => c.ok), components });
  });
  return router;
}
