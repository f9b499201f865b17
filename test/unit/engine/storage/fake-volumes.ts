/** VolumesPort in memory: what exists, with its owner, and which volumes a "container" uses. */
import { SlipwayError } from '../../../../lib/errors';
import type { VolumeOwner, VolumesPort } from '../../../../engine/storage/volumes-port';

export class FakeVolumes implements VolumesPort {
  readonly volumes = new Map<string, VolumeOwner>();
  /** Volumes a running container holds: remove refuses them, as Docker does. */
  readonly inUse = new Set<string>();
  readonly calls: string[] = [];

  async ensure(name: string, owner: VolumeOwner): Promise<void> {
    this.calls.push(`ensure ${name}`);
    if (!this.volumes.has(name)) this.volumes.set(name, { ...owner });
  }

  async exists(name: string): Promise<boolean> {
    return this.volumes.has(name);
  }

  async remove(name: string): Promise<'removed' | 'missing'> {
    this.calls.push(`remove ${name}`);
    if (!this.volumes.has(name)) return 'missing';
    if (this.inUse.has(name)) throw new SlipwayError('volume_in_use', `The volume ${name} is still used by a container, so it was kept.`);
    this.volumes.delete(name);
    return 'removed';
  }

  async removeForApp(appId: number): Promise<string[]> {
    const names = [...this.volumes].filter(([, owner]) => owner.appId === appId).map(([name]) => name);
    for (const name of names) await this.remove(name);
    return names;
  }
}
