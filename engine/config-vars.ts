/**
 * Config vars and rollbacks, the pure part: key rules, change requests, Heroku's release
 * descriptions and the choice of a rollback target. No I/O.
 */
import { SlipwayError } from '../lib/errors';
import type { ConfigVars, Release } from './model';

/** A config var name: an environment variable name (a letter or `_`, then letters, digits, `_`). */
export const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a change asks for: a new value per key, `null` to remove the key. Keys keep the order given. */
export type ConfigChanges = Readonly<Record<string, string | null>>;

export function isValidConfigKey(key: string): boolean {
  return CONFIG_KEY.test(key);
}

/** Throws invalid_request naming every invalid key (never a value). */
export function assertConfigKeys(keys: readonly string[]): void {
  const invalid = keys.filter((key) => !isValidConfigKey(key));
  if (invalid.length === 0) return;
  const names = invalid.map((key) => JSON.stringify(key)).join(', ');
  throw new SlipwayError('invalid_request',
    `Invalid config var name${invalid.length === 1 ? '' : 's'} ${names}: a name starts with a letter or "_", `
    + 'then has only letters, digits and "_". Nothing was changed.');
}

/**
 * Names the platform sets in every process, after the app's config (engine/deployer.ts,
 * engine/one-off.ts, the Docker driver): a value set by the user would be silently replaced, so
 * setting one is refused with the reason.
 */
export const RESERVED_CONFIG_KEYS: Readonly<Record<string, string>> = Object.freeze({
  PORT: 'the platform sets PORT to the port web processes must listen on',
  DYNO: 'the platform sets DYNO to the name of each process (web.1, run.3)',
  SLIPWAY_RELEASE: 'the platform sets SLIPWAY_RELEASE to the release a process runs (v7)',
});

/**
 * Heroku's limit: all config vars of an app together (names and values, in UTF-8 bytes) are at
 * most 32 kB. Docker passes the environment in a request header, so much larger values fail at
 * every deploy; refusing them up front keeps the app deployable.
 */
export const CONFIG_SIZE_LIMIT_BYTES = 32 * 1024;

/** Bytes a config takes against CONFIG_SIZE_LIMIT_BYTES. */
export function configSize(config: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [key, value] of Object.entries(config)) total += Buffer.byteLength(key) + Buffer.byteLength(value);
  return total;
}

function kB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

/** Refuses values no process can receive: a NUL byte (an environment string ends at one), or one over the whole limit. */
function assertConfigValues(entries: readonly (readonly [string, unknown])[]): void {
  const withNul = entries.filter(([, value]) => typeof value === 'string' && value.includes('\0')).map(([key]) => key);
  if (withNul.length > 0) {
    throw new SlipwayError('invalid_config_value',
      `The value of ${withNul.join(', ')} contains a NUL byte (\\0), which an environment variable cannot hold. `
      + 'Remove it (encode binary data, e.g. as base64). Nothing was changed.');
  }
  const reserved = entries.filter(([key, value]) => value !== null && Object.hasOwn(RESERVED_CONFIG_KEYS, key));
  if (reserved.length > 0) {
    const reasons = reserved.map(([key]) => RESERVED_CONFIG_KEYS[key]).join('; ');
    throw new SlipwayError('invalid_config_value',
      `${reserved.map(([key]) => key).join(', ')} cannot be set: ${reasons}. Read it in the app instead. Nothing was changed.`);
  }
  const huge = entries.filter(([key, value]) => typeof value === 'string'
    && Buffer.byteLength(key) + Buffer.byteLength(value) > CONFIG_SIZE_LIMIT_BYTES).map(([key]) => key);
  if (huge.length > 0) {
    throw new SlipwayError('config_too_large',
      `The value of ${huge.join(', ')} is larger than ${kB(CONFIG_SIZE_LIMIT_BYTES)}, the limit for all config vars of an app together. `
      + 'Keep large data in a file or a backing service and put its location in the config var. Nothing was changed.');
  }
}

/**
 * Refuses a config over CONFIG_SIZE_LIMIT_BYTES (checked on the config a change would make, before
 * it is stored). A change that only removes vars is always allowed, so an app over the limit can
 * shrink back under it.
 */
export function assertConfigSize(next: Readonly<Record<string, string>>, changes: ConfigChanges): void {
  if (!Object.values(changes).some((value) => value !== null)) return;
  const size = configSize(next);
  if (size <= CONFIG_SIZE_LIMIT_BYTES) return;
  throw new SlipwayError('config_too_large',
    `With this change the config vars of the app would take ${kB(size)}, over the limit of ${kB(CONFIG_SIZE_LIMIT_BYTES)} `
    + 'for all of them together (names and values). Unset vars you no longer need, or keep large data in a file or a backing service. Nothing was changed.');
}

/**
 * Checks a PATCH /apps/:app/config body: an object whose values are strings (set) or null (unset),
 * with valid keys and at least one of them. Anything else is refused whole.
 */
export function parseConfigChanges(body: unknown): ConfigChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SlipwayError('invalid_request', 'Send the changes as a JSON object: {"KEY": "value", "OTHER": null} (null unsets).');
  }
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length === 0) {
    throw new SlipwayError('invalid_request', 'No config vars given: send {"KEY": "value"} to set, {"KEY": null} to unset.');
  }
  assertConfigKeys(entries.map(([key]) => key));
  const wrong = entries.filter(([, value]) => value !== null && typeof value !== 'string').map(([key]) => key);
  if (wrong.length > 0) {
    throw new SlipwayError('invalid_request',
      `The value of ${wrong.join(', ')} must be a string (or null to unset it). Nothing was changed.`);
  }
  assertConfigValues(entries);
  return Object.fromEntries(entries) as ConfigChanges;
}

/** The config after the changes; the input is not modified. */
export function applyConfigChanges(config: ConfigVars, changes: ConfigChanges): ConfigVars {
  // Through a Map, so that any valid name, "__proto__" included, is an own property of the result.
  const next = new Map(Object.entries(config));
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return Object.fromEntries(next);
}

export function sameConfig(a: ConfigVars, b: ConfigVars): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/** The names of a config, sorted: what may be shown or logged about it. */
export function configKeys(config: ConfigVars): string[] {
  return Object.keys(config).sort();
}

/**
 * Heroku's description of a config release: "Set A, B config vars", "Remove A config vars";
 * both kinds in one change: "Set A and remove B config vars".
 */
export function configChangeDescription(changes: ConfigChanges): string {
  const set = Object.keys(changes).filter((key) => changes[key] !== null);
  const removed = Object.keys(changes).filter((key) => changes[key] === null);
  if (removed.length === 0) return `Set ${set.join(', ')} config vars`;
  if (set.length === 0) return `Remove ${removed.join(', ')} config vars`;
  return `Set ${set.join(', ')} and remove ${removed.join(', ')} config vars`;
}

export function rollbackDescription(version: number): string {
  return `Rollback to v${version}`;
}

/** "3", "v3" or 3 → 3; anything else → null. */
export function parseVersion(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^v?([1-9][0-9]{0,8})$/i.exec(value.trim());
  return match ? Number(match[1]) : null;
}

/** Why a release cannot be rolled back to, or null when it can. */
export function rollbackRefusal(release: Release): string | null {
  if (release.status === 'failed') {
    return `v${release.version} failed, so it cannot be rolled back to. Pick a succeeded release from \`slipway releases\`.`;
  }
  if (release.status !== 'succeeded') {
    return `v${release.version} is still ${release.status}, so it cannot be rolled back to. Pick a succeeded release from \`slipway releases\`.`;
  }
  if (release.buildId === null) {
    return `v${release.version} has no build to run, so it cannot be rolled back to. Pick a release made by a push.`;
  }
  return null;
}

/**
 * The release `rollback` without a version goes back to: the newest succeeded release with a
 * build that is older than the current one. Null when there is none.
 */
export function previousGoodRelease(releases: readonly Release[], currentVersion: number): Release | null {
  let best: Release | null = null;
  for (const release of releases) {
    if (release.version >= currentVersion || rollbackRefusal(release) !== null) continue;
    if (best === null || release.version > best.version) best = release;
  }
  return best;
}
