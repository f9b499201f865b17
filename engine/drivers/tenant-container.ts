/**
 * What every container running tenant code gets, app instances and one-offs alike
 * (docs/security.md, "Threat model"): its team's network only, an unprivileged user, no
 * capabilities, no way to gain privileges (setuid binaries, file capabilities).
 */
import type Docker from 'dockerode';
import { DEFAULT_TEAM_ID } from '../../lib/team-network';
import type { ContainerUsers } from './container-user';
import { isMissingNetwork, type DockerNetworks } from './docker-networks';

export interface TenantPlacement {
  image: string;
  /** The team whose network the container joins; DEFAULT_TEAM_ID when the caller does not say. */
  teamId?: number | undefined;
  /** Names the container is reached by on its team's network (lib/team-network.ts instanceAliases). */
  aliases: readonly string[];
}

/** Options to merge into createContainer's: User, network and the hardening half of HostConfig. */
export interface TenantSettings {
  User: string;
  NetworkingConfig: Docker.ContainerCreateOptions['NetworkingConfig'];
  HostConfig: Pick<Docker.HostConfig, 'NetworkMode' | 'CapDrop' | 'SecurityOpt'>;
}

export async function tenantSettings(networks: DockerNetworks, users: ContainerUsers, placement: TenantPlacement): Promise<TenantSettings> {
  const [network, user] = await Promise.all([
    networks.ensureTeam(placement.teamId ?? DEFAULT_TEAM_ID),
    users.userFor(placement.image),
  ]);
  return {
    User: user,
    // Only this network: not the default bridge, not another team's.
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [...placement.aliases] } } },
    HostConfig: { NetworkMode: network, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  };
}

/**
 * Creates and starts a tenant container. dockerd checks the network when the container starts: if
 * it vanished since it was ensured (scripts/gc removed the team's network as its last app went),
 * the container is removed, the network made again and the container created and started once more.
 */
export async function startTenantContainer(
  docker: Docker,
  networks: DockerNetworks,
  users: ContainerUsers,
  placement: TenantPlacement,
  options: (settings: TenantSettings) => Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  for (let attempt = 1; ; attempt += 1) {
    const container = await docker.createContainer(options(await tenantSettings(networks, users, placement)));
    try {
      await container.start();
      return container;
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      if (attempt >= 2 || !isMissingNetwork(error)) throw error;
    }
  }
}
