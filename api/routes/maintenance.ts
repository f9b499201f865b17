/** Maintenance mode: GET and PUT /apps/:app/maintenance (docs/contracts/api.md). */
import { Router } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { MaintenanceService } from '../../engine/maintenance-service';

export function maintenanceRoutes(maintenance: MaintenanceService): Router {
  const router = Router();

  router.get('/apps/:app/maintenance', async (req, res) => {
    res.json({ maintenance: await maintenance.get(String(req.params.app ?? '')) });
  });

  // {"maintenance": true} or false.
  router.put('/apps/:app/maintenance', async (req, res) => {
    const on = (req.body as { maintenance?: unknown } | undefined)?.maintenance;
    if (typeof on !== 'boolean') throw new SlipwayError('invalid_request', 'Say whether maintenance mode is on: {"maintenance": true} or false.');
    res.json({ maintenance: await maintenance.set(String(req.params.app ?? ''), on) });
  });

  return router;
}
