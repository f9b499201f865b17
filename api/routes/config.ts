/** Config vars: GET and PATCH /apps/:app/config (docs/contracts/api.md). */
import type { ConfigService } from '../../engine/config-service';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { ConfigChangeSchema, ConfigVarsSchema } from '../schemas/apps';

export interface ConfigRoutesDeps {
  config: ConfigService;
}

export function configRoutes({ config }: ConfigRoutesDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/config', tag: 'config', summary: 'The app\'s config vars, with their values',
      params: AppParams, response: ConfigVarsSchema,
      access: ({ params }) => ({ action: 'app:config:read', app: params.app }),
      handler: async ({ params }) => config.get(params.app),
    }),
    defineRoute({
      // {"KEY": "value", "OTHER": null}: null unsets. Answers the config after the change.
      method: 'patch', path: '/apps/:app/config', tag: 'config', summary: 'Set and unset config vars (a new release)',
      params: AppParams, body: ConfigChangeSchema, response: ConfigVarsSchema, audit: 'config.change',
      errors: ['invalid_config_value', 'config_too_large', 'deploy_failed'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, body }) => (await config.update(params.app, body)).config,
    }),
  ];
}
