/**
 * Persistent volumes (`storage`, `storage:mount`, `storage:unmount`; docs/storage.md). A mount
 * gives every instance of one process type the same named volume at a path, kept across deploys,
 * restarts, scaling and restarts of Slipway. Mounting and unmounting an app that runs are releases,
 * rolled out like a config change (same build, same config): on success the instances run with the
 * change; a failed rollout puts the mount back as it was and says so.
 *
 * Data is never removed silently: an unmount keeps the volume (listed as `unmounted`, mounted again
 * by the same path and type) unless `destroyData` is asked; apps:destroy removes the app's volumes.
 */
import crypto from 'node:crypto';
import { isSlipwayError, SlipwayError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { AppMount } from '../deployer';
import type { Progress } from '../deployer';
import type { LockService } from '../locks';
import type { Actor, App, Release } from '../model';
import type { ReleaseService } from '../release-service';
import type { AppsRepo } from '../store/apps-repo';
import type { MountsRepo, StoredMount } from '../store/mounts-repo';
import { DEFAULT_TEAM_ID } from '../../lib/team-network';
import { formatSizeMb, parseVolumeSize, pathsOverlap, validateMountPath, validateProcessType } from './mount-path';
import { volumeName, type VolumesPort } from './volumes-port';

export interface MountRequest {
  path: unknown;
  type?: unknown;
  size?: unknown;
}

export interface UnmountRequest {
  path: unknown;
  type?: unknown;
  /** Also remove the volume and its data. */
  destroyData?: boolean;
}

export interface MountChange {
  mount: StoredMount;
  /** The release that rolled the change out; null when the app has not been deployed yet (or nothing had to restart). */
  release: Release | null;
  /** Unmount with destroyData: whether the volume was removed. */
  dataDestroyed?: boolean;
}

/** The parts of the release service a mount change uses (tests give a fake that records releases). */
export type MountReleases = Pick<ReleaseService, 'exclusive' | 'currentBuild' | 'deployRelease'>;

export class StorageService {
  constructor(
    private readonly apps: Pick<AppsRepo, 'get'>,
    private readonly mounts: MountsRepo,
    private readonly releases: MountReleases,
    private readonly volumes: VolumesPort,
    private readonly locks: Pick<LockService, 'acquire'>,
    private readonly platformId: string,
    private readonly logger: Logger,
    /** The random part of a new volume's name; a seam for tests. */
    private readonly suffix: () => string = () => crypto.randomBytes(4).toString('hex'),
  ) {}

  async list(appName: string): Promise<StoredMount[]> {
    const app = await this.apps.get(appName);
    return this.mounts.list(app.id);
  }

  /** The mounts an app's instances get now (the Deployer and the reconciler ask, engine/deployer.ts). */
  async mountsOf(appName: string): Promise<AppMount[]> {
    return (await this.mounts.mountedOf(appName)).map((m) => ({ processType: m.processType, path: m.path, volume: m.volume }));
  }

  /**
   * Mounts a volume at `path` in every instance of `type` (web by default). Input is checked whole
   * first (nothing changes on bad input). A path this type already mounts, or one nested in it, is
   * refused; a path unmounted earlier with its data kept gets the same volume back.
   */
  async mount(appName: string, request: MountRequest, progress?: Progress, actor: Actor = null): Promise<MountChange> {
    const path = validateMountPath(request.path);
    const processType = validateProcessType(request.type);
    const sizeMb = parseVolumeSize(request.size);
    return this.releases.exclusive(appName, async () => {
      const app = await this.apps.get(appName);
      const all = await this.mounts.list(app.id);
      const same = all.find((m) => m.processType === processType && m.path === path) ?? null;
      if (same?.mounted) {
        throw new SlipwayError('mount_exists', `${app.name}'s ${processType} processes already mount a volume at ${path}. `
          + `Run \`slipway storage -a ${app.name}\` to see its mounts.`);
      }
      const nested = all.find((m) => m.mounted && m.processType === processType && pathsOverlap(m.path, path));
      if (nested) {
        throw new SlipwayError('mount_exists', `${path} and ${nested.path} would nest: ${app.name}'s ${processType} processes already mount ${nested.path}. `
          + 'Give a path beside it instead (e.g. /data and /uploads), or unmount it first.');
      }
      const owner = { appId: app.id, teamId: app.teamId ?? DEFAULT_TEAM_ID, processType, path };
      let mount: StoredMount;
      if (same) {
        await this.volumes.ensure(same.volume, owner);
        await this.mounts.setMounted(same.id, true, sizeMb ?? same.sizeMb);
        mount = { ...same, mounted: true, sizeMb: sizeMb ?? same.sizeMb };
      } else {
        const volume = volumeName(this.platformId, owner, this.suffix());
        await this.volumes.ensure(volume, owner);
        mount = await this.mounts.insert({ appId: app.id, processType, path, volume, sizeMb, mounted: true, createdAt: new Date() });
      }
      this.logger.info({ app: app.name, processType, path, volume: mount.volume, reused: same !== null }, 'volume mounted');
      const size = mount.sizeMb === null ? '' : ` (${formatSizeMb(mount.sizeMb)})`;
      const undo = async () => {
        if (same) await this.mounts.setMounted(same.id, false, same.sizeMb);
        else {
          await this.mounts.delete(mount.id);
          // The volume was made for this mount a moment ago and no instance of it stayed up.
          await this.volumes.remove(mount.volume).catch((error: unknown) =>
            this.logger.warn({ app: app.name, volume: mount.volume, err: error }, 'could not remove the volume of a mount that failed'));
        }
      };
      const release = await this.rollOut(app, `Mount ${path} on ${processType}${size}`, progress, actor, undo, `Mounting ${path}`);
      return { mount, release };
    });
  }

  /**
   * Takes the volume at `path` away from the instances of `type`. The volume and its data are kept
   * (listed as unmounted) unless `destroyData`, which removes them once no instance uses them.
   */
  async unmount(appName: string, request: UnmountRequest, progress?: Progress, actor: Actor = null): Promise<MountChange> {
    const path = validateMountPath(request.path);
    const processType = validateProcessType(request.type);
    return this.releases.exclusive(appName, async () => {
      const app = await this.apps.get(appName);
      const mount = await this.mounts.find(app.id, processType, path);
      if (!mount) {
        throw new SlipwayError('mount_not_found', `${app.name}'s ${processType} processes mount nothing at ${path}. `
          + `Run \`slipway storage -a ${app.name}\` to see its mounts.`);
      }
      let release: Release | null = null;
      if (mount.mounted) {
        await this.mounts.setMounted(mount.id, false);
        this.logger.info({ app: app.name, processType, path, volume: mount.volume }, 'volume unmounted');
        release = await this.rollOut(app, `Unmount ${path} from ${processType}`, progress, actor,
          () => this.mounts.setMounted(mount.id, true), `Unmounting ${path}`);
      }
      if (!request.destroyData) return { mount: { ...mount, mounted: false }, release };
      await this.destroyData(app, mount);
      return { mount: { ...mount, mounted: false }, release, dataDestroyed: true };
    });
  }

  /** apps:destroy: every volume of the app, data included (its rows go with the app's). */
  async removeAppVolumes(app: { id: number; name: string }): Promise<void> {
    const removed = await this.volumes.removeForApp(app.id);
    if (removed.length > 0) this.logger.info({ app: app.name, volumes: removed }, 'volumes of a destroyed app removed');
  }

  /** Removes an unmounted volume once the old instances that used it have stopped. */
  private async destroyData(app: App, mount: StoredMount): Promise<void> {
    // The rollout answers once the new instances serve; the old ones stop behind it, under the
    // app's deploy lock. Waiting for that lock means waiting until none uses the volume.
    const unlock = await this.locks.acquire(app.name, 'deploy');
    unlock();
    try {
      await this.volumes.remove(mount.volume);
    } catch (error) {
      if (isSlipwayError(error) && error.code === 'volume_in_use') {
        throw new SlipwayError('volume_in_use', `${mount.path} is unmounted, but its volume is still in use (a one-off process?), so its data was kept. `
          + `Try again once it has ended: slipway storage:unmount -a ${app.name} ${mount.path} --type ${mount.processType} --destroy-data`, { cause: error });
      }
      throw error;
    }
    await this.mounts.delete(mount.id);
    this.logger.info({ app: app.name, volume: mount.volume }, 'volume and its data destroyed');
  }

  /** A new release of the running build and config, or nothing when the app has never been deployed. */
  private async rollOut(app: App, description: string, progress: Progress | undefined, actor: Actor,
    undo: () => Promise<void>, what: string): Promise<Release | null> {
    const current = await this.releases.currentBuild(app);
    if (current === null) return null;
    try {
      return await this.releases.deployRelease(app, current.build, app.config, description, progress, { actor });
    } catch (error) {
      await undo();
      if (!isSlipwayError(error) || error.code !== 'deploy_failed') throw error;
      const running = app.currentRelease === null ? 'nothing was running' : `v${app.currentRelease} keeps serving`;
      throw new SlipwayError('deploy_failed', `${what} failed: the new release did not start, so the mounts are as they were and ${running}. ${error.message}`,
        { cause: error });
    }
  }
}
