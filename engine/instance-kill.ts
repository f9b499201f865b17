/**
 * `ps:kill web.2` (Heroku's ps:kill / ps:stop DYNO): stops one instance of the formation, withdrawn
 * from the router first, and lets the reconciler start its replacement, as a crashed one would be.
 * The formation does not change.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { isFormationInstance } from './deployer';
import type { RoutePublisher } from './publisher';
import type { Instance, RuntimeDriver } from './runtime-driver';
import type { AppsRepo } from './store/apps-repo';

/**
 * The instance `target` names: its id as `ps` lists it, or `TYPE.N`, the Nth instance of TYPE in
 * `ps`'s order (by id). Null when there is none.
 */
export function findInstance(instances: readonly Instance[], target: string): Instance | null {
  const exact = instances.find((instance) => instance.id === target);
  if (exact) return exact;
  const match = /^([A-Za-z0-9_-]+)\.([1-9][0-9]*)$/.exec(target);
  if (!match) return null;
  const ofType = instances.filter((instance) => instance.process === match[1]).sort((a, b) => a.id.localeCompare(b.id));
  return ofType[Number(match[2]) - 1] ?? null;
}

export interface Reconcile {
  reconcile(name: string, options?: { wait?: boolean }): Promise<void>;
}

export class InstanceKiller {
  constructor(
    private readonly apps: AppsRepo,
    private readonly driver: RuntimeDriver,
    private readonly publisher: RoutePublisher,
    private readonly reconciler: Reconcile,
    private readonly stopGraceSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** Stops the instance and answers it; its replacement starts in the background. */
  async kill(appName: string, target: string): Promise<Instance> {
    const app = await this.apps.get(appName);
    const instances = (await this.driver.list(app.name)).filter(isFormationInstance);
    const instance = findInstance(instances, target);
    if (instance === null) {
      const names = instances.map((i) => i.id).sort().join(', ') || 'none';
      throw new SlipwayError('instance_not_found',
        `${app.name} has no instance ${target}: give an instance id from \`slipway ps\` (${names}), or TYPE.N such as web.1.`);
    }
    // Out of the router first, so no new request reaches a process that is going away.
    await this.publisher.withdrawBackend(app.name, instance.id);
    await this.driver.stop(instance.id, this.stopGraceSeconds);
    this.logger.info({ app: app.name, instance: instance.id }, 'instance killed by ps:kill; the reconciler replaces it');
    // The reconciler logs its own failures and retries on its next pass.
    void this.reconciler.reconcile(app.name, { wait: true });
    return instance;
  }
}
