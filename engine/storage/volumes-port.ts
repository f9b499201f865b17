/**
 * The port through which the storage service makes and removes the named volumes that back app
 * mounts (docs/storage.md). The Docker adapter is engine/drivers/docker-volumes.ts; a fake for unit
 * tests is test/unit/engine/storage/fake-volumes.ts, and one contract suite runs against both.
 */

/** What a volume is labelled with, so Slipway (and an operator) can find it: never user input. */
export interface VolumeOwner {
  appId: number;
  teamId: number;
  processType: string;
  path: string;
}

export interface VolumesPort {
  /** Makes the volume when it does not exist (labelled with its owner); an existing one is left as it is. Idempotent. */
  ensure(name: string, owner: VolumeOwner): Promise<void>;
  /** Whether the volume exists. */
  exists(name: string): Promise<boolean>;
  /**
   * Removes the volume and its data. A missing volume is not an error ('missing'). A volume that a
   * container still uses is not removed: throws volume_in_use.
   */
  remove(name: string): Promise<'removed' | 'missing'>;
  /** Removes every volume of the app (apps:destroy), found by its labels; answers their names. */
  removeForApp(appId: number): Promise<string[]>;
}

/** The volumes of one installation on a shared Docker host: its id is part of every name and label. */
export function volumeName(platformId: string, owner: Pick<VolumeOwner, 'appId' | 'teamId' | 'processType'>, suffix: string): string {
  // Derived only from ids, a validated process type and a random suffix: one app can never name
  // (and so never mount) another app's volume.
  return `slipway-${platformId}-t${owner.teamId}-a${owner.appId}-${owner.processType}-${suffix}`;
}
