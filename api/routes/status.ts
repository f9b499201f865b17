/** GET /status: platform health, one entry per component (`slipway status`, docs/contracts/api.md). */
import type { PlatformStatus } from '../../engine/platform-status';
import { defineRoute, type Route } from '../route-table';
import { PlatformStatusSchema } from '../schemas/platform';

export function statusRoutes(status: PlatformStatus): Route[] {
  return [defineRoute({
    method: 'get', path: '/status', tag: 'platform', summary: 'Platform health, one entry per component',
    response: PlatformStatusSchema,
    access: () => ({ action: 'platform:read' }),
    handler: async () => {
      const components = await status.check();
      return { ok: components.every((c) => c.ok), components };
    },
  })];
}
