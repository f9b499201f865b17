/**
 * app.json's first-deploy setup (Heroku's app.json schema): `env` (required config vars, defaults,
 * `generator: "secret"`) and `buildpacks`. `formation` and `scripts` are engine/app-json.ts's.
 *
 * On an app's first deploy (no current release): required vars that are not set refuse the deploy
 * naming them; a var with a `value` that is not set gets it; a `generator: "secret"` var that is not
 * set gets a random value, stored in the app's config, so it is generated once. app.json's
 * `buildpacks` become the app's buildpacks on its very first build only, and only when the user has
 * set none: after that the user's own setting (`buildpacks:set`, `buildpacks:clear`) wins, and the
 * push says so when app.json asks for something else.
 */
import crypto from 'node:crypto';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { parseBuildpackRef } from './buildpacks';
import type { App, ConfigVars } from './model';
import type { AppsRepo } from './store/apps-repo';

export interface AppJsonEnvVar {
  name: string;
  description: string | null;
  /** Heroku's default is true: the var must have a value (set in config, or app.json's `value`, or generated). */
  required: boolean;
  value: string | null;
  generator: 'secret' | null;
}

export interface AppJsonSetup {
  env: AppJsonEnvVar[];
  /** Buildpack references, in order (app.json `buildpacks: [{"url": …}]`). */
  buildpacks: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(message: string): never {
  throw new SlipwayError('build_failed', `app.json: ${message}`);
}

/** Reads `env` and `buildpacks` of app.json text (null or empty: none). Strict about types, like the rest of app.json. */
export function parseAppJsonSetup(text: string | null): AppJsonSetup {
  if (text === null || text.trim() === '') return { env: [], buildpacks: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return invalid(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) invalid('must be a JSON object');
  const { env: rawEnv, buildpacks: rawBuildpacks } = doc as { env?: unknown; buildpacks?: unknown };

  const env: AppJsonEnvVar[] = [];
  if (rawEnv !== undefined && rawEnv !== null) {
    if (typeof rawEnv !== 'object' || Array.isArray(rawEnv)) invalid('env must be an object of config vars');
    for (const [name, spec] of Object.entries(rawEnv as Record<string, unknown>)) {
      if (!NAME.test(name)) invalid(`env: "${name}" is not a config var name (letters, digits and _, not starting with a digit)`);
      if (typeof spec === 'string') {
        env.push({ name, description: null, required: true, value: spec, generator: null });
        continue;
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) invalid(`env.${name} must be a string or an object`);
      const entry = spec as Record<string, unknown>;
      if (entry.required !== undefined && typeof entry.required !== 'boolean') invalid(`env.${name}.required must be true or false`);
      if (entry.value !== undefined && typeof entry.value !== 'string') invalid(`env.${name}.value must be a string`);
      if (entry.generator !== undefined && entry.generator !== 'secret') invalid(`env.${name}.generator must be "secret" (the only generator)`);
      env.push({
        name,
        description: typeof entry.description === 'string' ? entry.description : null,
        required: entry.required !== false,
        value: typeof entry.value === 'string' ? entry.value : null,
        generator: entry.generator === 'secret' ? 'secret' : null,
      });
    }
  }

  const buildpacks: string[] = [];
  if (rawBuildpacks !== undefined && rawBuildpacks !== null) {
    if (!Array.isArray(rawBuildpacks)) invalid('buildpacks must be a list like [{"url": "nodejs"}]');
    rawBuildpacks.forEach((item, index) => {
      const url = typeof item === 'string' ? item : (item as { url?: unknown } | null)?.url;
      if (typeof url !== 'string') invalid(`buildpacks[${index}] must be {"url": "…"}`);
      try {
        buildpacks.push(parseBuildpackRef(url).raw);
      } catch (error) {
        invalid(`buildpacks[${index}]: ${(error as Error).message}`);
      }
    });
  }
  return { env, buildpacks };
}

export interface FirstDeployConfig {
  /** Required vars with no value anywhere. */
  missing: AppJsonEnvVar[];
  /** Vars to add to the app's config: defaults and generated secrets (values: never log them). */
  additions: Record<string, string>;
}

/** What the first deploy adds to `config`, or which required vars it lacks. Pure but for `secret()`. */
export function firstDeployConfig(env: readonly AppJsonEnvVar[], config: ConfigVars, secret: () => string = generateSecret): FirstDeployConfig {
  const missing: AppJsonEnvVar[] = [];
  const additions: Record<string, string> = {};
  for (const variable of env) {
    if (Object.hasOwn(config, variable.name)) continue;
    if (variable.value !== null) additions[variable.name] = variable.value;
    else if (variable.generator === 'secret') additions[variable.name] = secret();
    else if (variable.required) missing.push(variable);
  }
  return { missing, additions };
}

/** 64 hex characters (256 random bits), as Heroku's secret generator gives. */
export function generateSecret(): string {
  return crypto.randomBytes(32).toString('hex');
}

export function missingVarsMessage(app: string, missing: readonly AppJsonEnvVar[]): string {
  const names = missing.map((v) => (v.description ? `${v.name} (${v.description})` : v.name));
  return `app.json requires config vars that ${app} does not have: ${names.join(', ')}. `
    + `Set them before the first deploy: slipway config:set ${app} ${missing.map((v) => `${v.name}=…`).join(' ')}`;
}

export interface BuildpacksDecision {
  apply: boolean;
  /** What to tell the pusher, or null when app.json's buildpacks are applied or already in effect. */
  note: string | null;
}

/**
 * Whether app.json's buildpacks become the app's: only on its first build (`builtBefore` false)
 * and when none are set. Otherwise the app's own (possibly cleared) setting wins. Pure.
 */
export function appJsonBuildpacksDecision(fromAppJson: readonly string[], current: readonly string[], builtBefore: boolean): BuildpacksDecision {
  if (fromAppJson.length === 0) return { apply: false, note: null };
  const wanted = fromAppJson.join(', ');
  if (current.length > 0) {
    if (current.length === fromAppJson.length && current.every((b, i) => b === fromAppJson[i])) return { apply: false, note: null };
    return { apply: false, note: `buildpacks ${wanted} not applied: the app's own buildpacks (${current.join(', ')}) win; change them with slipway buildpacks:set` };
  }
  if (builtBefore) {
    return {
      apply: false,
      note: `buildpacks ${wanted} not applied: app.json's buildpacks apply to an app's first build only, and this app has none set now (buildpacks:clear), so the build chooses by itself; set them with slipway buildpacks:set`,
    };
  }
  return { apply: true, note: null };
}

/** The app's stored buildpacks (engine/store/buildpacks-repo.ts). */
export interface AppBuildpackStore {
  list(appId: number): Promise<string[]>;
  replace(appId: number, buildpacks: readonly string[]): Promise<void>;
}

export class AppSetupService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly buildpacks: AppBuildpackStore,
    /** Serialises with config changes and releases of the app (ReleaseService.exclusive). */
    private readonly exclusive: <T>(app: string, task: () => Promise<T>) => Promise<T>,
    private readonly logger: Logger,
    /** Whether the app has had a build before (of any outcome): app.json's buildpacks apply to the first only. */
    private readonly builtBefore: (appId: number) => Promise<boolean> = async () => false,
  ) {}

  /**
   * Applies app.json's env and buildpacks (parsed once by the deploy service) before an app's first
   * build; answers the app as it is now (its config with the additions). Throws build_failed naming missing required vars. `say` gets
   * one line per thing done (names only, never values).
   */
  async beforeFirstBuild(appName: string, setup: AppJsonSetup, say: (line: string) => void): Promise<App> {
    return this.exclusive(appName, async () => {
      const app = await this.apps.get(appName);
      if (app.currentRelease !== null) return app;
      const { missing, additions } = firstDeployConfig(setup.env, app.config);
      if (missing.length > 0) throw new SlipwayError('build_failed', missingVarsMessage(app.name, missing));
      const added = Object.keys(additions);
      if (added.length > 0) {
        await this.apps.setConfig(app.id, { ...app.config, ...additions });
        const generated = setup.env.filter((v) => added.includes(v.name) && v.value === null).map((v) => v.name);
        const defaults = added.filter((name) => !generated.includes(name));
        if (defaults.length > 0) say(`app.json: set ${defaults.join(', ')} to the default${defaults.length > 1 ? 's' : ''} it gives`);
        if (generated.length > 0) say(`app.json: generated a secret for ${generated.join(', ')}`);
        this.logger.info({ app: app.name, keys: added }, 'app.json config vars set for the first deploy');
      }
      if (setup.buildpacks.length > 0) {
        const decision = appJsonBuildpacksDecision(setup.buildpacks, await this.buildpacks.list(app.id), await this.builtBefore(app.id));
        if (decision.apply) {
          await this.buildpacks.replace(app.id, setup.buildpacks);
          say(`app.json: buildpacks set to ${setup.buildpacks.join(', ')}`);
        } else if (decision.note) {
          say(`app.json: ${decision.note}`);
        }
      }
      return this.apps.get(appName);
    });
  }
}
