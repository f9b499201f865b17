import crypto from 'node:crypto';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerDriver } from '../../../engine/drivers/docker-driver';
import { DockerNetworks } from '../../../engine/drivers/docker-networks';
import { uniqueName } from '../../support/slipway';
import { BUILD_BRIDGE, BUILD_NETWORK, teamBridgeName, teamNetworkName } from '../../../lib/team-network';

/** Team ids of this run only: other tests on this Docker host use low ids. */
function randomTeamId(): number {
  return 1_000_000_000 + crypto.randomInt(0, 8_000_000_000);
}

describe('engine/drivers/docker-networks DockerNetworks against dockerd', function () {
  this.timeout(60_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const teams = [randomTeamId(), randomTeamId(), randomTeamId(), randomTeamId()];

  async function named(name: string): Promise<Array<{ Id: string; Options: Record<string, string>; Labels: Record<string, string> }>> {
    const found = await docker.listNetworks({ filters: { name: [name] } });
    return found.filter((n) => n.Name === name) as unknown as Array<{ Id: string; Options: Record<string, string>; Labels: Record<string, string> }>;
  }

  after(async () => {
    for (const team of teams) {
      for (const n of await named(teamNetworkName(team))) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  });

  it('creates a team\'s network once, labelled and on a Slipway bridge, even when two Slipway processes race for it', async () => {
    const team = teams[0]!;
    // Separate instances: no shared in-process memo, as two API processes on one host.
    const names = await Promise.all([1, 2, 3, 4].map(() => new DockerNetworks(docker).ensureTeam(team)));
    expect(names).to.deep.equal(Array(4).fill(teamNetworkName(team)));
    const found = await named(teamNetworkName(team));
    expect(found).to.have.length(1);
    expect(found[0]!.Options['com.docker.network.bridge.name']).to.equal(teamBridgeName(team));
    expect(found[0]!.Labels).to.include({ 'slipway.network': 'team', 'slipway.team': String(team) });
    // Again, later: nothing new.
    await new DockerNetworks(docker).ensureTeam(team);
    expect((await named(teamNetworkName(team))).map((n) => n.Id)).to.deep.equal([found[0]!.Id]);
  });

  it('removes a team\'s network only once no container uses it, and makes it again when needed', async () => {
    const team = teams[1]!;
    const networks = new DockerNetworks(docker);
    await networks.ensureTeam(team);
    const container = await docker.createContainer({ Image: 'slipway/stack-run:latest', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: teamNetworkName(team) } });
    try {
      await container.start();
      expect(await networks.removeTeamIfUnused(team)).to.equal(false);
      expect(await named(teamNetworkName(team))).to.have.length(1);
    } finally {
      await container.remove({ force: true });
    }
    expect(await networks.removeTeamIfUnused(team)).to.equal(true);
    expect(await named(teamNetworkName(team))).to.deep.equal([]);
    expect(await networks.removeTeamIfUnused(team)).to.equal(false);
    await networks.ensureTeam(team);
    expect(await named(teamNetworkName(team))).to.have.length(1);
  });

  it('lets the driver start an instance after the team\'s network was removed behind its back (scripts/gc)', async () => {
    const team = teams[3]!;
    const driver = new DockerDriver(docker, 'networks-test');
    const spec = {
      app: uniqueName('netgc'), release: 1, process: 'worker', image: 'slipway/stack-run:latest', command: 'exec sleep 300',
      env: {}, port: 5000, memoryMb: 64, cpu: 0.1, teamId: team,
    };
    const first = await driver.start(spec);
    await driver.stop(first.id, 0);
    expect(await new DockerNetworks(docker).removeTeamIfUnused(team)).to.equal(true);
    const second = await driver.start(spec);
    try {
      expect(second.state).to.equal('running');
      expect(await named(teamNetworkName(team))).to.have.length(1);
    } finally {
      await driver.stop(second.id, 0);
    }
  });

  it('refuses a network of that name that Slipway did not create (the firewall would not cover its bridge)', async () => {
    const team = teams[2]!;
    await docker.createNetwork({ Name: teamNetworkName(team), Driver: 'bridge', CheckDuplicate: true });
    const error = await new DockerNetworks(docker).ensureTeam(team).then(() => null, (e: Error) => e);
    expect(error?.message).to.include(`docker network rm ${teamNetworkName(team)}`);
  });

  it('keeps builds on a network of their own, with no traffic between containers', async () => {
    expect(await new DockerNetworks(docker).ensureBuilds()).to.equal(BUILD_NETWORK);
    const [network] = await named(BUILD_NETWORK);
    expect(network!.Options).to.include({ 'com.docker.network.bridge.name': BUILD_BRIDGE, 'com.docker.network.bridge.enable_icc': 'false' });
  });
});
