/** Which AddonServers this control plane uses: the Docker adapter (engine/addons/docker-servers.ts), labelled with this installation. */
import type Docker from 'dockerode';
import { DockerAddonServers } from '../engine/addons/docker-servers';
import type { AddonServers } from '../engine/addons/kinds';

export function createAddonServers(docker: Docker, platformId: string): AddonServers {
  return new DockerAddonServers(docker, { platformId });
}
