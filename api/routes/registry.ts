/** The registry's content for the admin (`slipway registry:info`; docs/contracts/api.md). */
import type { RegistryInfo } from '../../engine/image-janitor';
import { defineRoute, type Route } from '../route-table';
import { RegistryInfoSchema } from '../schemas/platform';

export interface RegistryRoutesDeps {
  registryInfo(): Promise<RegistryInfo>;
}

export function registryRoutes(deps: RegistryRoutesDeps): Route[] {
  return [defineRoute({
    method: 'get', path: '/registry', tag: 'platform', summary: 'The registry\'s size: repositories, images, blobs, bytes',
    response: RegistryInfoSchema, errors: ['registry_unavailable'],
    access: () => ({ action: 'platform:admin' }),
    handler: () => deps.registryInfo(),
  })];
}
