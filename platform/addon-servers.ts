/**
 * Which AddonServers this control plane uses. Until the Docker adapter (engine/addons/docker-servers.ts,
 * issue 12 part 2) is wired here, every server call is refused with a clear error: PostgreSQL, MySQL
 * and Redis add-ons end `failed` saying so, while external services and app links work.
 */
import { SlipwayError } from '../lib/errors';
import type { AddonServers } from '../engine/addons/kinds';

export function createAddonServers(): AddonServers {
  const refuse = async (): Promise<never> => {
    throw new SlipwayError('addon_not_ready', 'this Slipway has no add-on servers yet (the Docker adapter is not wired in platform/addon-servers.ts); external services (addons:create APP external --url URL) work');
  };
  return {
    ensure: refuse, status: async () => 'missing', list: async () => [], remove: async () => undefined,
    rotateCredentials: refuse, revokeCredentials: refuse, backup: refuse, restore: refuse, verify: refuse,
  };
}
