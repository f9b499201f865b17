/**
 * The storage service's volumes on one Docker host (engine/storage/volumes-port.ts), and the step
 * that makes a volume's root writable by the unprivileged user app instances run as.
 *
 * Docker's `local` volumes are folders under Docker's data root: they have no size limit, which is
 * why `--size` is only recorded (docs/storage.md).
 */
import type Docker from 'dockerode';
import { SlipwayError } from '../../lib/errors';
import type { VolumeOwner, VolumesPort } from '../storage/volumes-port';

export const VOLUME_LABELS = {
  platform: 'slipway.platform',
  appId: 'slipway.app-id',
  team: 'slipway.team',
  process: 'slipway.process',
  path: 'slipway.mount-path',
  /** Marks the volume as an app mount's (add-ons have volumes too). */
  kind: 'slipway.volume',
} as const;

export class DockerVolumes implements VolumesPort {
  constructor(private readonly docker: Docker, private readonly platformId: string) {}

  async ensure(name: string, owner: VolumeOwner): Promise<void> {
    if (await this.exists(name)) return;
    await this.docker.createVolume({
      Name: name,
      Driver: 'local',
      Labels: {
        [VOLUME_LABELS.platform]: this.platformId,
        [VOLUME_LABELS.kind]: 'app-mount',
        [VOLUME_LABELS.appId]: String(owner.appId),
        [VOLUME_LABELS.team]: String(owner.teamId),
        [VOLUME_LABELS.process]: owner.processType,
        [VOLUME_LABELS.path]: owner.path,
      },
    });
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).inspect();
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async remove(name: string): Promise<'removed' | 'missing'> {
    try {
      await this.docker.getVolume(name).remove();
      return 'removed';
    } catch (error) {
      if (isStatus(error, 404)) return 'missing';
      if (isStatus(error, 409)) throw new SlipwayError('volume_in_use', `The volume ${name} is still used by a container, so it was kept.`, { cause: error });
      throw error;
    }
  }

  async removeForApp(appId: number): Promise<string[]> {
    const { Volumes: volumes } = await this.docker.listVolumes({
      filters: { label: [`${VOLUME_LABELS.platform}=${this.platformId}`, `${VOLUME_LABELS.kind}=app-mount`, `${VOLUME_LABELS.appId}=${appId}`] },
    });
    const removed: string[] = [];
    for (const volume of volumes ?? []) {
      if ((await this.remove(volume.Name)) === 'removed') removed.push(volume.Name);
    }
    return removed;
  }
}

/** Where the helper container sees the volume. */
const HELPER_MOUNT = '/slipway-volume';

/**
 * Makes a volume's root owned by the user instances run as. A new volume's root belongs to root,
 * and instances never run as root (engine/drivers/container-user.ts). A short-lived container of
 * the stack's run image (Slipway's own, never the tenant's) changes the owner of that one folder:
 * root with only CAP_CHOWN, no network, no new privileges. Once per volume and user per process.
 */
export class VolumeOwnership {
  private readonly done = new Map<string, Promise<void>>();

  constructor(private readonly docker: Docker, private readonly helperImage: string) {}

  async prepare(volume: string, user: string): Promise<void> {
    const key = `${volume}\n${user}`;
    let step = this.done.get(key);
    if (!step) {
      step = this.chown(volume, user);
      this.done.set(key, step);
      step.catch(() => this.done.delete(key));
    }
    return step;
  }

  private async chown(volume: string, user: string): Promise<void> {
    // The instance's user as uid[:gid]; a named user (a Dockerfile's USER app) is not known to the
    // helper image, so its root is made world-writable with the sticky bit instead, as /tmp is.
    const numeric = /^\d+(:\d+)?$/.test(user);
    const command = numeric ? ['chown', user, HELPER_MOUNT] : ['chmod', '1777', HELPER_MOUNT];
    const container = await this.docker.createContainer({
      Image: this.helperImage,
      Entrypoint: [],
      Cmd: command,
      User: '0:0',
      NetworkDisabled: true,
      Labels: { 'slipway.volume-helper': 'true' },
      HostConfig: {
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        CapAdd: numeric ? ['CHOWN'] : [],
        SecurityOpt: ['no-new-privileges'],
        Mounts: [{ Type: 'volume', Source: volume, Target: HELPER_MOUNT }],
      },
    });
    try {
      await container.start();
      const result = (await container.wait()) as { StatusCode?: number };
      if (result.StatusCode !== 0) throw new Error(`making the volume ${volume} writable for ${user} exited with ${String(result.StatusCode)}`);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
