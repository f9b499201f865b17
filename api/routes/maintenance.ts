/** Maintenance mode: GET and PUT /apps/:app/maintenance (docs/contracts/api.md). */
import { z } from 'zod';
import type { MaintenanceService } from '../../engine/maintenance-service';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { MaintenanceSchema } from '../schemas/apps';
import { hint } from '../schemas/hint';

const onError = 'Say whether maintenance mode is on: {"maintenance": true} or false';

export function maintenanceRoutes(maintenance: MaintenanceService): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/maintenance', tag: 'apps', summary: 'Whether the app is in maintenance mode',
      params: AppParams, response: MaintenanceSchema,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => ({ maintenance: await maintenance.get(params.app) }),
    }),
    defineRoute({
      method: 'put', path: '/apps/:app/maintenance', tag: 'apps', summary: 'Turn maintenance mode on or off',
      params: AppParams, body: z.object({ maintenance: z.boolean(hint(onError)) }, hint(onError)),
      response: MaintenanceSchema, audit: 'app.maintenance',
      access: ({ params }) => ({ action: 'app:operate', app: params.app }),
      handler: async ({ params, body }) => ({ maintenance: await maintenance.set(params.app, body.maintenance) }),
    }),
  ];
}
