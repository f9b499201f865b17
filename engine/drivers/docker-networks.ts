/**
 * The Docker networks tenants are walled off by (names in lib/team-network.ts, threat model in
 * docs/security.md). Created on demand, idempotently, and safely when two deploys (or two Slipway
 * processes) race: the Linux bridge name is ours and unique, and Docker refuses a second network
 * with the same bridge name, so at most one network per team can exist; whoever loses the race
 * finds the winner's network and uses it.
 */
import type Docker from 'dockerode';
import { SlipwayError } from '../../lib/errors';
import {
  BUILD_BRIDGE, BUILD_NETWORK, NETWORK_LABELS, teamBridgeName, teamNetworkName,
} from '../../lib/team-network';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';
/** How long a process that lost the race to create a network waits for the winner's to show. */
const RACE_WAIT_MS = 10_000;

interface NetworkShape {
  name: string;
  bridge: string;
  labels: Record<string, string>;
  /** Whether containers on the network may talk to each other (a team's apps: yes; builds: no). */
  interContainer: boolean;
}

export class DockerNetworks {
  /**
   * Checks in flight, so that concurrent starts of one team ask dockerd once. Nothing is remembered
   * beyond that: the network may be removed between two starts (scripts/gc), so each start checks.
   */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly docker: Docker) {}

  /** Makes sure the team's network exists; resolves with its name. */
  async ensureTeam(teamId: number): Promise<string> {
    const shape: NetworkShape = {
      name: teamNetworkName(teamId),
      bridge: teamBridgeName(teamId),
      labels: { [NETWORK_LABELS.kind]: 'team', [NETWORK_LABELS.team]: String(teamId) },
      interContainer: true,
    };
    await this.ensure(shape);
    return shape.name;
  }

  /** The network build containers use: outbound access, no traffic between builds, none to the host (scripts/firewall). */
  async ensureBuilds(): Promise<string> {
    await this.ensure({ name: BUILD_NETWORK, bridge: BUILD_BRIDGE, labels: { [NETWORK_LABELS.kind]: 'builds' }, interContainer: false });
    return BUILD_NETWORK;
  }

  /**
   * Removes a team's network if no container uses it any more; false when it is still in use or
   * already gone. Docker refuses to remove a network with containers attached, so this cannot cut
   * off a running app; a start racing with it re-creates the network (DockerDriver retries once).
   */
  async removeTeamIfUnused(teamId: number): Promise<boolean> {
    const name = teamNetworkName(teamId);
    try {
      await this.docker.getNetwork(name).remove();
      return true;
    } catch (error) {
      if (isStatus(error, 404) || isStatus(error, 403) || isStatus(error, 409)) return false;
      throw error;
    }
  }

  private async ensure(shape: NetworkShape): Promise<void> {
    let pending = this.pending.get(shape.name);
    if (!pending) {
      pending = this.create(shape).finally(() => this.pending.delete(shape.name));
      this.pending.set(shape.name, pending);
    }
    await pending;
  }

  private async create(shape: NetworkShape): Promise<void> {
    if (await this.check(shape)) return;
    try {
      await this.docker.createNetwork({
        Name: shape.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: shape.labels,
        Options: { [BRIDGE_NAME_OPTION]: shape.bridge, [ICC_OPTION]: String(shape.interContainer) },
      });
    } catch (error) {
      // Lost a race (409 duplicate name, or "networks have same bridge name"): the winner's network
      // will do. Docker refuses the bridge name as soon as the winner claims it, but shows the
      // winner's network by name only once its creation finished (CI met the 404 in between).
      const deadline = Date.now() + RACE_WAIT_MS;
      for (;;) {
        if (await this.check(shape)) return;
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** true when the network exists as it must; false when it is missing; throws when it exists but is not ours. */
  private async check(shape: NetworkShape): Promise<boolean> {
    let info: { Driver?: string; Options?: Record<string, string> | null };
    try {
      info = (await this.docker.getNetwork(shape.name).inspect()) as typeof info;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
    const bridge = info.Options?.[BRIDGE_NAME_OPTION];
    if (info.Driver !== 'bridge' || bridge !== shape.bridge) {
      // The host firewall recognises Slipway's bridges by name: one named otherwise would let its
      // containers reach the host's services.
      throw new SlipwayError('internal',
        `The Docker network ${shape.name} exists but was not created by Slipway (its bridge is ${bridge ?? 'unnamed'}, not ${shape.bridge}), `
        + `so the host firewall would not cover it. Remove it (docker network rm ${shape.name}) once no container uses it; Slipway then re-creates it.`);
    }
    return true;
  }
}

/** Whether a Docker error says a network named in the request does not exist. */
export function isMissingNetwork(error: unknown): boolean {
  const message = (error as { json?: { message?: unknown } } | null)?.json?.message;
  const text = typeof message === 'string' ? message : error instanceof Error ? error.message : '';
  return isStatus(error, 404) && /network .*not found/i.test(text);
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
