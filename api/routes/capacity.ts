/** GET /capacity: the hosts and what their instances commit (`slipway`'s console Capacity page). */
import type { HostUsage } from '../../engine/capacity';
import { defineRoute, type Route } from '../route-table';
import { CapacitySchema } from '../schemas/platform';

export interface CapacitySource {
  /** Every host (one for the Docker driver) with its figures. */
  hosts(): Promise<HostUsage[]>;
}

export function capacityRoutes(source: CapacitySource): Route[] {
  return [defineRoute({
    method: 'get', path: '/capacity', tag: 'platform', summary: 'Hosts with their CPU and memory: total, committed by instances, free',
    response: CapacitySchema,
    access: () => ({ action: 'platform:read' }),
    handler: async () => ({ hosts: await source.hosts() }),
  })];
}
