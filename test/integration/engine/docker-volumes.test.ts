/**
 * Persistent volumes on the real dockerd: the VolumesPort contract (the same suite the fake passes),
 * and app instances that write to a mounted volume as their unprivileged user, are replaced, and
 * find the data again; an instance started without the mount does not see it.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerDriver } from '../../../engine/drivers/docker-driver';
import { DockerVolumes, VolumeOwnership, VOLUME_LABELS } from '../../../engine/drivers/docker-volumes';
import type { InstanceSpec } from '../../../engine/runtime-driver';
import { uniqueName } from '../../support/slipway';
import { volumesContract } from '../../support/volumes-contract';
import { waitFor } from './wait-for';

const STACK_RUN = 'slipway/stack-run:latest';
const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });

/** Removes every volume and helper a run of this file made (labelled with its platform id). */
async function cleanUp(platformId: string): Promise<void> {
  const { Volumes: volumes } = await docker.listVolumes({ filters: { label: [`${VOLUME_LABELS.platform}=${platformId}`] } });
  for (const volume of volumes ?? []) await docker.getVolume(volume.Name).remove().catch(() => undefined);
}

const contractPlatform = `vt-${crypto.randomBytes(4).toString('hex')}`;
const holders: string[] = [];
volumesContract('DockerVolumes on dockerd', async () => {
  const base = crypto.randomInt(1_000_000, 2_000_000);
  return {
    port: new DockerVolumes(docker, contractPlatform),
    name: (label) => `slipway-${contractPlatform}-${label}`,
    appIds: [base, base + 1],
    use: async (name) => {
      const container = await docker.createContainer({
        Image: STACK_RUN, Entrypoint: [], Cmd: ['sleep', '300'], NetworkDisabled: true,
        HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: name, Target: '/v' }] },
      });
      holders.push(container.id);
      await container.start();
      return async () => { await container.remove({ force: true }); };
    },
  };
}, async () => {
  for (const id of holders.splice(0)) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  await cleanUp(contractPlatform);
});

describe('engine/drivers DockerDriver with volume mounts, against dockerd', function () {
  this.timeout(120_000);
  const platformId = `vd-${crypto.randomBytes(4).toString('hex')}`;
  const driver = new DockerDriver(docker, platformId, undefined, undefined, undefined, new VolumeOwnership(docker, STACK_RUN));
  const volumes = new DockerVolumes(docker, platformId);
  const app = uniqueName('vol');
  const volume = `slipway-${platformId}-t1-a1-web-test`;

  function spec(release: number, command: string, mounted = true): InstanceSpec {
    return {
      app, release, process: 'worker', image: STACK_RUN, command, env: { DYNO: `worker.1` }, port: 5000, memoryMb: 128, cpu: 0.25,
      ...(mounted ? { mounts: [{ volume, path: '/data' }] } : {}),
    };
  }

  async function output(id: string, line: string): Promise<string> {
    return waitFor(`"${line}" in the output of ${id}`, async () => {
      const text = await driver.logs(id, 50);
      return text.includes(line) ? text : null;
    }, { timeoutMs: 60_000, intervalMs: 200 });
  }

  after(async () => {
    for (const instance of await driver.list(app)) await driver.stop(instance.id, 0);
    await cleanUp(platformId);
  });

  it('lets the unprivileged instance write; a replacement finds the data; without the mount it is not there', async () => {
    await volumes.ensure(volume, { appId: 1, teamId: 1, processType: 'worker', path: '/data' });
    const first = await driver.start(spec(1, 'id -u; echo one > /data/note.txt && echo wrote-note; exec sleep 300'));
    const said = await output(first.id, 'wrote-note');
    expect(said.split('\n')[0]?.trim()).to.equal('1000'); // not root, and still allowed to write
    await driver.stop(first.id, 0);

    const second = await driver.start(spec(2, 'echo "found $(cat /data/note.txt)"; exec sleep 300'));
    expect(await output(second.id, 'found')).to.include('found one');
    await driver.stop(second.id, 0);

    const third = await driver.start(spec(3, 'test -e /data/note.txt && echo still-there || echo not-there; exec sleep 300', false));
    expect(await output(third.id, '-there')).to.include('not-there');
    await driver.stop(third.id, 0);
    expect(await volumes.exists(volume)).to.equal(true);
    expect(await volumes.remove(volume)).to.equal('removed');
  });
});
