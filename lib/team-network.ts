/**
 * Names of the Docker networks tenants are walled off by (docs/security.md, "Threat model").
 * Pure: no Docker here (engine/drivers/docker-networks.ts creates them).
 *
 * Every team has its own bridge network; app instances, one-offs and (later) add-ons of a team join
 * it and nothing else. Docker's isolation rules drop traffic between two bridges, and the host's
 * firewall (scripts/firewall) rejects connections from every Slipway bridge to the host. That
 * firewall matches bridges by interface name, so each network gets a Linux bridge name of ours
 * (BRIDGE_PREFIX…) instead of Docker's random br-<id>.
 */

/** The team apps belong to until teams exist (and the one `scripts/up`'s admin owns afterwards). */
export const DEFAULT_TEAM_ID = 1;

/** Every Slipway bridge interface starts with this; scripts/firewall matches `slw-+`. */
export const BRIDGE_PREFIX = 'slw-';

/** Build containers (buildpack compiles, Dockerfile RUN steps) share this network, with no traffic between them. */
export const BUILD_NETWORK = 'slipway-builds';
export const BUILD_BRIDGE = `${BRIDGE_PREFIX}builds`;

/** Labels on the networks Slipway creates. */
export const NETWORK_LABELS = {
  /** `team` or `builds`. */
  kind: 'slipway.network',
  team: 'slipway.team',
} as const;

/** Linux limits interface names to 15 characters: `slw-t` + 10 digits. */
const MAX_TEAM_ID = 9_999_999_999;

export function assertTeamId(teamId: number): void {
  if (!Number.isSafeInteger(teamId) || teamId < 1 || teamId > MAX_TEAM_ID) {
    throw new RangeError(`a team id is a whole number from 1 to ${MAX_TEAM_ID}, not ${String(teamId)}`);
  }
}

/** The Docker network of a team: `slipway-team-<id>`. */
export function teamNetworkName(teamId: number): string {
  assertTeamId(teamId);
  return `slipway-team-${teamId}`;
}

/** The Linux bridge of a team's network: `slw-t<id>` (at most 15 characters). */
export function teamBridgeName(teamId: number): string {
  assertTeamId(teamId);
  return `${BRIDGE_PREFIX}t${teamId}`;
}

/**
 * The names an instance is reached by on its team's network: `<app>` for web processes (so
 * `http://<app>:5000` reaches the app's web processes, any of them), and `<process>.<app>` for
 * every process type (`web.<app>`, `worker.<app>`). One-offs get none: nothing should call them.
 */
export function instanceAliases(app: string, process: string): string[] {
  return process === 'web' ? [app, `web.${app}`] : [`${process}.${app}`];
}
