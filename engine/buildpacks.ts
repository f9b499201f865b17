/**
 * What a buildpack reference is (pure, no I/O): a built-in name, a git URL with an optional `#ref`,
 * an http(s) tarball URL or an absolute directory on the Slipway host. Used by `buildpacks:set`/
 * `buildpacks:add`, by the `.buildpacks` file, by the `BUILDPACK_URL` config var and by app.json
 * `buildpacks`. docs/buildpacks.md, "Choosing buildpacks".
 */
import { SlipwayError } from '../lib/errors';

export type BuildpackRef =
  | { kind: 'builtin'; name: string; raw: string }
  | { kind: 'git'; url: string; ref: string | null; raw: string }
  | { kind: 'tarball'; url: string; raw: string }
  | { kind: 'path'; path: string; raw: string };

/** Longest reference accepted (the store's column is 1000 characters). */
export const MAX_BUILDPACK_LENGTH = 1000;

const BUILTIN_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A git ref after `#`: a branch, tag or commit; never an option, never `..`. */
const GIT_REF = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;
/** scp-like git address: user@host:path (no scheme). */
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;
const TARBALL_PATH = /\.(tgz|tar\.gz|tar)$/i;

function invalid(raw: string, why: string): never {
  throw new SlipwayError('invalid_request', `"${raw}" is not a buildpack: ${why}`);
}

function gitRef(raw: string, fragment: string): string | null {
  if (fragment === '') return null;
  const ref = decodeURIComponent(fragment);
  if (!GIT_REF.test(ref) || ref.includes('..') || ref.endsWith('/') || ref.endsWith('.lock')) {
    invalid(raw, `"#${ref}" is not a git branch, tag or commit.`);
  }
  return ref;
}

/**
 * Parses one buildpack reference. `heroku/NAME` means the built-in NAME (Heroku's names for its
 * official buildpacks). Throws invalid_request with what is accepted.
 */
export function parseBuildpackRef(input: string): BuildpackRef {
  const raw = input.trim();
  if (raw === '') invalid(input, 'it is empty.');
  if (raw.length > MAX_BUILDPACK_LENGTH) invalid(`${raw.slice(0, 40)}…`, `it is longer than ${MAX_BUILDPACK_LENGTH} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) invalid(raw, 'it contains spaces or control characters.');

  if (raw.startsWith('/')) {
    const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) invalid(raw, 'a directory path may not contain "..".');
    return { kind: 'path', path: `/${segments.join('/')}`, raw };
  }

  const official = /^heroku\/([a-z0-9][a-z0-9_.-]*)$/.exec(raw);
  if (official) return { kind: 'builtin', name: official[1]!, raw };
  if (BUILTIN_NAME.test(raw)) return { kind: 'builtin', name: raw, raw };

  if (SCP_LIKE.test(raw)) {
    const hash = raw.indexOf('#');
    const url = hash < 0 ? raw : raw.slice(0, hash);
    return { kind: 'git', url, ref: hash < 0 ? null : gitRef(raw, raw.slice(hash + 1)), raw };
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(raw)) {
      invalid(raw, 'buildpack registry names are not supported (only heroku/NAME for the built-ins): give its git or tarball URL.');
    }
    invalid(raw, 'use a built-in name (like nodejs), a git URL (https://…/buildpack.git#v1), an https tarball URL (…/buildpack.tgz) or an absolute directory path.');
  }
  const fragment = url.hash.replace(/^#/, '');
  switch (url.protocol) {
    case 'https:':
    case 'http:': {
      if (url.hostname === '') invalid(raw, 'the URL has no host.');
      if (TARBALL_PATH.test(url.pathname)) {
        if (fragment !== '') invalid(raw, 'a tarball URL cannot have a #ref (only git URLs can).');
        return { kind: 'tarball', url: raw, raw };
      }
      url.hash = '';
      return { kind: 'git', url: url.toString(), ref: gitRef(raw, fragment), raw };
    }
    case 'git:':
    case 'ssh:':
    case 'git+ssh:': {
      if (url.hostname === '') invalid(raw, 'the URL has no host.');
      url.hash = '';
      return { kind: 'git', url: url.toString(), ref: gitRef(raw, fragment), raw };
    }
    case 'file:':
      return invalid(raw, 'file:// URLs are not accepted: give the directory\'s absolute path (a buildpack directory on the Slipway host).');
    default:
      return invalid(raw, `${url.protocol}// URLs are not accepted: use https://, http://, git:// or ssh://.`);
  }
}

/** The reference as it may be shown in build output and listings: passwords in URLs are masked. */
export function displayBuildpack(raw: string): string {
  return raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/@\s]*)@/, (_all, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(':');
    return colon < 0 ? `${scheme}***@` : `${scheme}${credentials.slice(0, colon)}:***@`;
  });
}

/**
 * A `.buildpacks` file (heroku-buildpack-multi's format): one buildpack per line; blank lines and
 * lines starting with `#` are skipped. A bad line fails with its line number.
 */
export function parseBuildpacksFile(text: string): BuildpackRef[] {
  const refs: BuildpackRef[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      refs.push(parseBuildpackRef(trimmed));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SlipwayError('build_failed', `.buildpacks line ${index + 1}: ${message}`);
    }
  });
  return refs;
}

/** Where the buildpacks of a build come from, strongest first. docs/buildpacks.md. */
export type BuildpackSource = 'app' | 'BUILDPACK_URL' | '.buildpacks';

export interface ExplicitBuildpacks {
  source: BuildpackSource;
  refs: BuildpackRef[];
}

/**
 * The explicitly chosen buildpacks of a build, or null when none are (then a root Dockerfile or
 * detection decides): the app's own list (`buildpacks:set`/`add`, app.json's on the first deploy),
 * else the `BUILDPACK_URL` config var, else the repository's `.buildpacks` file.
 */
export function explicitBuildpacks(
  appBuildpacks: readonly string[],
  config: Readonly<Record<string, string>>,
  buildpacksFile: string | null,
): ExplicitBuildpacks | null {
  if (appBuildpacks.length > 0) return { source: 'app', refs: appBuildpacks.map(parseBuildpackRef) };
  const url = config.BUILDPACK_URL?.trim();
  if (url) {
    try {
      return { source: 'BUILDPACK_URL', refs: [parseBuildpackRef(url)] };
    } catch (error) {
      throw new SlipwayError('build_failed', `The BUILDPACK_URL config var: ${(error as Error).message}`);
    }
  }
  if (buildpacksFile !== null) {
    const refs = parseBuildpacksFile(buildpacksFile);
    if (refs.length > 0) return { source: '.buildpacks', refs };
  }
  return null;
}
