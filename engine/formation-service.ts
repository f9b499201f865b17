/** ps, ps:scale, ps:resize, ps:restart, ps:stop: the formation and the instances that run it. */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { totalDemand } from './capacity';
import { isFormationInstance, runnableTypes, type Deployer, type DeployRequest } from './deployer';
import type { App, Build, FormationEntry } from './model';
import type { Reconciler } from './reconciler';
import type { Instance, RuntimeDriver } from './runtime-driver';
import type { AppsRepo } from './store/apps-repo';
import type { BuildsRepo } from './store/builds-repo';
import type { ReleasesRepo } from './store/releases-repo';

/** Scaling beyond this many instances of one type is almost surely a typo. */
export const MAX_QUANTITY = 100;

export interface ScaleChange {
  type: string;
  quantity: number;
}

/** Parses `web=3 worker=2` (also `web:3`). Pure. */
export function parseScaleArgs(args: readonly string[]): ScaleChange[] {
  if (args.length === 0) throw new SlipwayError('invalid_request', 'Say what to scale, like: slipway ps:scale my-app web=2 worker=1');
  return args.map((arg) => {
    const match = /^([A-Za-z0-9_-]+)[=:](\d+)$/.exec(arg.trim());
    if (!match) throw new SlipwayError('invalid_request', `"${arg}" is not TYPE=QUANTITY, like web=2.`);
    return { type: match[1]!, quantity: Number(match[2]) };
  });
}

/**
 * Entries of the formation that a build cannot run: types its Procfile does not declare, set by
 * `ps:scale` or app.json before the Procfile was known. The default `web` entry is not one of them
 * (it waits, harmless, for a build that declares web). Pure.
 */
export function undeclaredFormation(formation: readonly FormationEntry[], types: Readonly<Record<string, unknown>>): FormationEntry[] {
  return formation.filter((entry) => !(entry.type in types) && entry.type !== 'web');
}

/** The warning said when a first deploy drops undeclared types from the formation. Pure. */
export function droppedTypesWarning(dropped: readonly FormationEntry[], types: Readonly<Record<string, unknown>>): string {
  const declared = Object.keys(types);
  const list = dropped.map((e) => `${e.type}=${e.quantity}`).join(', ');
  const one = dropped.length === 1;
  return `The formation had ${list}, but this build declares no such process type${one ? '' : 's'} `
    + `(it declares ${declared.join(', ') || 'none'}): dropped ${one ? 'it' : 'them'}. Add ${one ? 'it' : 'them'} to the Procfile to run ${one ? 'it' : 'them'}.`;
}

export interface PsView {
  formation: FormationEntry[];
  instances: Instance[];
}

export class FormationService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly builds: BuildsRepo,
    private readonly driver: RuntimeDriver,
    private readonly deployer: Deployer,
    private readonly reconciler: Reconciler,
    private readonly logger: Logger,
  ) {}

  async ps(name: string): Promise<PsView> {
    const app = await this.apps.get(name);
    const [formation, instances] = await Promise.all([this.apps.formation(app.id), this.driver.list(name)]);
    return { formation, instances: instances.filter(isFormationInstance).sort((a, b) => a.id.localeCompare(b.id)) };
  }

  /** Changes quantities and converges at once; refuses unknown types and what the host cannot hold. */
  async scale(name: string, changes: readonly ScaleChange[]): Promise<FormationEntry[]> {
    const app = await this.apps.get(name);
    for (const change of changes) {
      if (!Number.isInteger(change.quantity) || change.quantity < 0 || change.quantity > MAX_QUANTITY) {
        throw new SlipwayError('invalid_request', `${change.type}=${change.quantity}: a quantity is a whole number from 0 to ${MAX_QUANTITY}.`);
      }
    }
    await this.assertTypesExist(app, changes.map((c) => c.type));
    const formation = await this.apps.formation(app.id);
    const extra = totalDemand(changes.map((change) => {
      const entry = formation.find((f) => f.type === change.type);
      const more = Math.max(0, change.quantity - (entry?.quantity ?? 0));
      return { memoryMb: more * (entry?.memoryMb ?? 512), cpu: more * (entry?.cpu ?? 0.5) };
    }));
    if (extra.memoryMb > 0 || extra.cpu > 0) {
      await this.deployer.checkCapacity(extra, changes.map((c) => `${c.type}=${c.quantity}`).join(' '));
    }
    const updated = await this.apps.updateFormation(app.id, changes);
    this.logger.info({ app: name, formation: changes }, 'formation scaled');
    await this.reconciler.reconcile(name, { wait: true });
    return updated;
  }

  /** New limits for one process type, applied by a rolling restart of that type. */
  async resize(name: string, type: string, size: { memoryMb?: number; cpu?: number }): Promise<FormationEntry> {
    const app = await this.apps.get(name);
    if (size.cpu !== undefined && (!Number.isFinite(size.cpu) || size.cpu <= 0 || size.cpu > 64)) {
      throw new SlipwayError('invalid_request', `--cpu ${size.cpu}: give a number of cores, like 0.5 or 2.`);
    }
    await this.assertTypesExist(app, [type]);
    const before = (await this.apps.formation(app.id)).find((f) => f.type === type);
    const quantity = before?.quantity ?? 0;
    const memoryMore = Math.max(0, (size.memoryMb ?? before?.memoryMb ?? 512) - (before?.memoryMb ?? 512)) * quantity;
    const cpuMore = Math.max(0, (size.cpu ?? before?.cpu ?? 0.5) - (before?.cpu ?? 0.5)) * quantity;
    if (memoryMore > 0 || cpuMore > 0) await this.deployer.checkCapacity({ memoryMb: memoryMore, cpu: cpuMore }, `${type} resized`);
    const updated = await this.apps.updateFormation(app.id, [{ type, ...size }]);
    const entry = updated.find((f) => f.type === type)!;
    if (entry.quantity > 0 && app.currentRelease !== null) await this.restart(name, type);
    return entry;
  }

  /** Replaces the instances of the current release (one type, or all) without downtime. */
  async restart(name: string, type?: string): Promise<void> {
    const app = await this.apps.get(name);
    if (type) await this.assertTypesExist(app, [type]);
    const request = await this.currentRequest(app);
    await this.deployer.restart(request, () => undefined, type);
  }

  /** Stops every instance of one type (its quantity becomes 0; ps:scale brings it back). */
  async stop(name: string, type: string): Promise<FormationEntry[]> {
    return this.scale(name, [{ type, quantity: 0 }]);
  }

  /** app.json `formation`, applied once, on the first deploy. */
  async applyAppJsonFormation(app: App, formation: Record<string, { quantity?: number; memoryMb?: number; cpu?: number }>): Promise<void> {
    const changes = Object.entries(formation).map(([type, entry]) => ({ type, ...entry }));
    if (changes.length > 0) await this.apps.updateFormation(app.id, changes);
  }

  /**
   * Before an app's first release: app.json's formation, then the types the build does not declare
   * dropped from the formation. Answers the warnings to say (one per drop).
   */
  async prepareFirstRelease(app: App, build: Build, formation: Record<string, { quantity?: number; memoryMb?: number; cpu?: number }>): Promise<string[]> {
    await this.applyAppJsonFormation(app, formation);
    const types = runnableTypes(build);
    const dropped = undeclaredFormation(await this.apps.formation(app.id), types);
    if (dropped.length === 0) return [];
    await this.apps.removeFormation(app.id, dropped.map((e) => e.type));
    this.logger.info({ app: app.name, dropped: dropped.map((e) => e.type) }, 'undeclared process types dropped from the formation');
    return [droppedTypesWarning(dropped, types)];
  }

  private async currentRequest(app: App): Promise<DeployRequest> {
    if (app.currentRelease === null) {
      throw new SlipwayError('no_release', `${app.name} has no release yet. Deploy it first with: git push slipway main`);
    }
    const release = await this.releases.get(app.id, app.currentRelease);
    const build = release.buildId ? await this.builds.get(release.buildId) : null;
    if (!build) throw new SlipwayError('no_release', `v${release.version} of ${app.name} has no build to run.`);
    return { app: app.name, teamId: app.teamId, release, build, formation: await this.apps.formation(app.id) };
  }

  /**
   * Only the types the build declares: the current release's build, or before the first deploy the
   * latest build that succeeded. Before any build any type may be set (app.json style); the first
   * deploy drops those its build does not declare (prepareFirstRelease).
   */
  private async assertTypesExist(app: App, types: readonly string[]): Promise<void> {
    const build = app.currentRelease === null
      ? (await this.builds.list(app.id, 20)).find((b) => b.status === 'succeeded') ?? null
      : (await this.currentRequest(app)).build;
    if (!build) return;
    const known = Object.keys(runnableTypes(build));
    const unknown = types.filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      throw new SlipwayError('invalid_request',
        `No process type ${unknown.join(', ')} in ${app.name}: it declares ${known.join(', ') || 'none'}. Add it to the Procfile and push.`);
    }
  }
}
