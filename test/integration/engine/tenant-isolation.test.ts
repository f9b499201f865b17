/**
 * Tenant isolation on the real Docker host (docs/security.md, "Threat model"): two apps of one
 * team and one app of another, started through the real DockerDriver; every check runs from
 * inside a container, one connection attempt each, bounded by `timeout`.
 *
 * Needs the host firewall of scripts/firewall (scripts/start-services installs it).
 */
import net from 'node:net';
import os from 'node:os';
import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerDriver } from '../../../engine/drivers/docker-driver';
import { DockerNetworks } from '../../../engine/drivers/docker-networks';
import { DockerOneOff } from '../../../engine/drivers/docker-one-off';
import { waitUntilServing } from '../../../engine/health';
import { newOneOffId, oneOffEnv } from '../../../engine/one-off';
import type { Instance, InstanceSpec } from '../../../engine/runtime-driver';
import { teamBridgeName, teamNetworkName } from '../../../lib/team-network';
import { uniqueName } from '../../support/slipway';

const IMAGE = 'slipway/stack-build:latest'; // bash, Debian's node, the launcher and /app
const PORT = 5000;
const WEB = 'exec node -e "require(\'http\').createServer((q, s) => s.end(process.env.DYNO)).listen(process.env.PORT)"';
/** Seconds one connection attempt may take: a dropped SYN waits this long, a rejected one returns at once. */
const CONNECT_TIMEOUT = 3;

/** Team ids of this run only: other tests on this Docker host use low ids. */
function randomTeamId(): number {
  return 1_000_000_000 + crypto.randomInt(0, 8_000_000_000);
}

describe('tenant isolation on the Docker host (teams, host services, privileges)', function () {
  this.timeout(120_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const driver = new DockerDriver(docker, 'isolation-test');
  const networks = new DockerNetworks(docker);
  const teamA = randomTeamId();
  const teamB = teamA + 1;
  const [appA1, appA2, appB] = [uniqueName('iso-a1'), uniqueName('iso-a2'), uniqueName('iso-b')];
  const instances: Record<string, Instance> = {};
  let hostService: net.Server;
  let hostServicePort: number;

  function spec(app: string, teamId: number): InstanceSpec {
    return {
      app, release: 1, process: 'web', image: IMAGE, command: WEB, env: { DYNO: `${app}.web.1` },
      port: PORT, memoryMb: 128, cpu: 0.25, teamId,
    };
  }

  /** Runs a bash script in the instance's container as its own user; resolves with exit code and output. */
  async function execIn(instance: Instance, script: string): Promise<{ code: number; output: string }> {
    const exec = await docker.getContainer(`slipway-${instance.id}`).exec({ Cmd: ['bash', '-c', script], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    docker.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve) => { stream.on('end', resolve); stream.on('close', resolve); });
    stream.destroy(); // the hijacked connection to dockerd would otherwise stay open
    const info = await exec.inspect();
    return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
  }

  /** One TCP connection attempt from inside the instance: true when it connected. */
  async function connects(from: Instance, host: string, port: number): Promise<boolean> {
    const { code } = await execIn(from, `timeout ${CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>/dev/null`);
    return code === 0;
  }

  before(async () => {
    // A host service listening beyond loopback, as sshd or an operator's own service would.
    hostService = net.createServer((socket) => socket.on('error', () => undefined).end('host service\n'));
    await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
    hostServicePort = (hostService.address() as net.AddressInfo).port;

    const started = await Promise.all([spec(appA1, teamA), spec(appA2, teamA), spec(appB, teamB)].map((s) => driver.start(s)));
    for (const instance of started) {
      instances[instance.app] = instance;
      const ready = await waitUntilServing(instance.url ?? 'http://127.0.0.1:1', 30_000, { stillAlive: async () => null });
      expect(ready, `${instance.app} serving through its published port`).to.deep.equal({ ok: true });
    }
  });

  after(async () => {
    hostService?.close();
    for (const app of [appA1, appA2, appB]) {
      for (const instance of await driver.list(app)) await driver.stop(instance.id, 0);
    }
    await networks.removeTeamIfUnused(teamA);
    await networks.removeTeamIfUnused(teamB);
  });

  it('puts each instance on its team\'s network only, on a Slipway bridge, published on loopback for the router', async () => {
    for (const [app, team] of [[appA1, teamA], [appA2, teamA], [appB, teamB]] as const) {
      const info = await docker.getContainer(`slipway-${instances[app]!.id}`).inspect();
      expect(Object.keys(info.NetworkSettings.Networks), app).to.deep.equal([teamNetworkName(team)]);
      expect(instances[app]!.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const network = await docker.getNetwork(teamNetworkName(teamA)).inspect() as { Options: Record<string, string>; Labels: Record<string, string> };
    expect(network.Options['com.docker.network.bridge.name']).to.equal(teamBridgeName(teamA));
    expect(network.Labels).to.include({ 'slipway.network': 'team', 'slipway.team': String(teamA) });
  });

  it('lets an app reach its own team\'s other app by name (http://<app>:5000)', async () => {
    const { code, output } = await execIn(instances[appA1]!,
      `exec timeout 10 node -e "require('http').get('http://${appA2}:${PORT}/', (r) => r.on('data', (d) => process.stdout.write(d)))"`);
    expect({ code, output }).to.deep.equal({ code: 0, output: `${appA2}.web.1` });
    expect(await connects(instances[appA1]!, `web.${appA2}`, PORT)).to.equal(true);
  });

  it('does not let an app open a TCP connection to another team\'s app, by address or by name', async () => {
    const info = await docker.getContainer(`slipway-${instances[appB]!.id}`).inspect();
    const addressB = info.NetworkSettings.Networks[teamNetworkName(teamB)]!.IPAddress;
    expect(addressB).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await connects(instances[appA1]!, addressB, PORT)).to.equal(false);
    const lookup = await execIn(instances[appA1]!, `getent hosts ${appB}`);
    expect(lookup.code, lookup.output).to.not.equal(0);
    // And the other way round.
    const infoA = await docker.getContainer(`slipway-${instances[appA2]!.id}`).inspect();
    expect(await connects(instances[appB]!, infoA.NetworkSettings.Networks[teamNetworkName(teamA)]!.IPAddress, PORT)).to.equal(false);
  });

  it('does not let an app reach the host: etcd, MariaDB, the registry, the API, git SSH or any other listener', async () => {
    const network = await docker.getNetwork(teamNetworkName(teamA)).inspect() as { IPAM: { Config: Array<{ Gateway?: string }> } };
    const gateway = network.IPAM.Config[0]?.Gateway;
    expect(gateway).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    // The host's other addresses lead to the same services.
    const external = Object.values(os.networkInterfaces()).flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('172.'))?.address;
    const targets: Array<[string, number]> = [
      [gateway!, 2379], [gateway!, 2380], [gateway!, 3306], [gateway!, 5000], [gateway!, 5080], [gateway!, 2222],
      [gateway!, hostServicePort], ...(external ? [[external, hostServicePort] as [string, number]] : []),
    ];
    const reached: string[] = [];
    for (const [host, port] of targets) {
      if (await connects(instances[appA1]!, host, port)) reached.push(`${host}:${port}`);
    }
    expect(reached).to.deep.equal([]);
    // The listener itself answers: it is the firewall that keeps the container out.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(hostServicePort, '127.0.0.1', () => { socket.destroy(); resolve(); }).on('error', reject);
    });
  });

  it('gives an app no Docker socket', async () => {
    const { output } = await execIn(instances[appA1]!, 'for f in /var/run/docker.sock /run/docker.sock; do [ -e "$f" ] && echo "$f"; done; true');
    expect(output).to.equal('');
  });

  it('runs the app as an unprivileged user with empty capability sets and no-new-privileges', async () => {
    const { output } = await execIn(instances[appA1]!, 'id -u; grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status');
    const [uid, ...lines] = output.trim().split('\n');
    expect(Number(uid)).to.not.equal(0);
    const status = Object.fromEntries(lines.map((line) => line.split(/:\s+/) as [string, string]));
    expect(status).to.deep.equal({
      CapInh: '0000000000000000', CapPrm: '0000000000000000', CapEff: '0000000000000000',
      CapBnd: '0000000000000000', CapAmb: '0000000000000000', NoNewPrivs: '1',
    });
  });

  it('runs one-offs the same way: on the team\'s network, unprivileged, without capabilities', async () => {
    const runner = new DockerOneOff(docker, 'isolation-test');
    const id = newOneOffId();
    const proc = await runner.attach({
      app: appA1, release: 1, id, image: IMAGE, teamId: teamA,
      command: `id -u; grep ^CapEff: /proc/self/status; getent hosts ${appA2} >/dev/null && echo sees-team; getent hosts ${appB} >/dev/null || echo not-other-team`,
      env: oneOffEnv({}, 1, id, PORT, null), tty: false, size: null, limits: { memoryMb: 128, cpu: 0.25 },
    });
    proc.stdin.end();
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    expect(await proc.exit).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal(['1000', 'CapEff:\t0000000000000000', 'sees-team', 'not-other-team']);
  });
});
