/**
 * The buildpacks set on an app (`buildpacks`, `buildpacks:set`, `buildpacks:add`,
 * `buildpacks:remove`, `buildpacks:clear`), Heroku's semantics: an ordered list, used by the next
 * build instead of detection (and instead of a root Dockerfile). Indexes count from 1.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { displayBuildpack, parseBuildpackRef, type BuildpackRef } from './buildpacks';
import type { AppsRepo } from './store/apps-repo';

export interface AppBuildpack {
  index: number;
  /** As given (a URL's password is masked). */
  buildpack: string;
  kind: BuildpackRef['kind'];
}

export interface BuildpackListStore {
  list(appId: number): Promise<string[]>;
  update(appId: number, change: (current: string[]) => readonly string[]): Promise<string[]>;
}

/** Why a reference cannot be used on this host (unknown built-in, missing directory), or null. */
export type BuildpackCheck = (ref: BuildpackRef) => string | null;

function listing(buildpacks: readonly string[]): AppBuildpack[] {
  return buildpacks.map((raw, i) => ({ index: i + 1, buildpack: displayBuildpack(raw), kind: parseBuildpackRef(raw).kind }));
}

function indexArg(index: unknown, max: number, what: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 1 || index > max) {
    throw new SlipwayError('invalid_request', `${what} must be a whole number from 1 to ${max} (got ${JSON.stringify(index)}).`);
  }
  return index;
}

export class BuildpacksService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly store: BuildpackListStore,
    private readonly check: BuildpackCheck,
    private readonly logger: Logger,
  ) {}

  async list(appName: string): Promise<AppBuildpack[]> {
    const app = await this.apps.get(appName);
    return listing(await this.store.list(app.id));
  }

  /** Replaces the buildpack at `index` (default 1), or appends it when `index` is one past the end. */
  async set(appName: string, buildpack: unknown, index: unknown = 1): Promise<AppBuildpack[]> {
    const ref = this.parse(buildpack);
    return this.change(appName, (current) => {
      const at = indexArg(index, current.length + 1, 'The index');
      const next = [...current];
      next[at - 1] = ref.raw;
      this.refuseDuplicates(next, ref);
      return next;
    }, { action: 'set', buildpack: displayBuildpack(ref.raw) });
  }

  /** Inserts at `index` (default: at the end). */
  async add(appName: string, buildpack: unknown, index?: unknown): Promise<AppBuildpack[]> {
    const ref = this.parse(buildpack);
    return this.change(appName, (current) => {
      const at = index === undefined || index === null ? current.length + 1 : indexArg(index, current.length + 1, 'The index');
      const next = [...current.slice(0, at - 1), ref.raw, ...current.slice(at - 1)];
      this.refuseDuplicates(next, ref);
      return next;
    }, { action: 'add', buildpack: displayBuildpack(ref.raw) });
  }

  /** Removes the buildpack at `index`. */
  async remove(appName: string, index: unknown): Promise<AppBuildpack[]> {
    return this.change(appName, (current) => {
      if (current.length === 0) throw new SlipwayError('invalid_request', `${appName} has no buildpacks set: there is nothing to remove.`);
      const at = indexArg(index, current.length, 'The index');
      return current.filter((_b, i) => i !== at - 1);
    }, { action: 'remove', index });
  }

  /** Replaces the whole list (an empty list clears it). */
  async replace(appName: string, buildpacks: unknown): Promise<AppBuildpack[]> {
    if (!Array.isArray(buildpacks)) throw new SlipwayError('invalid_request', 'Give the list: {"buildpacks": ["nodejs"]} ([] clears it).');
    const refs = buildpacks.map((b) => this.parse(b));
    for (const ref of refs) this.refuseDuplicates(refs.map((r) => r.raw), ref);
    return this.change(appName, () => refs.map((r) => r.raw), { action: 'replace', count: refs.length });
  }

  async clear(appName: string): Promise<AppBuildpack[]> {
    return this.change(appName, () => [], { action: 'clear' });
  }

  private parse(buildpack: unknown): BuildpackRef {
    if (typeof buildpack !== 'string') {
      throw new SlipwayError('invalid_request', 'Give a buildpack: {"buildpack": "nodejs"} (a built-in name, a git or tarball URL, or a directory).');
    }
    const ref = parseBuildpackRef(buildpack);
    const problem = this.check(ref);
    if (problem) throw new SlipwayError('invalid_request', problem);
    return ref;
  }

  private refuseDuplicates(list: readonly string[], ref: BuildpackRef): void {
    if (list.filter((b) => b === ref.raw).length > 1) {
      throw new SlipwayError('invalid_request', `The buildpack ${displayBuildpack(ref.raw)} is already set on this app.`);
    }
  }

  private async change(appName: string, change: (current: string[]) => readonly string[], log: Record<string, unknown>): Promise<AppBuildpack[]> {
    const app = await this.apps.get(appName);
    const next = await this.store.update(app.id, change);
    this.logger.info({ app: app.name, ...log, count: next.length }, 'buildpacks changed');
    return listing(next);
  }
}
