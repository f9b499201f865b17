/**
 * The built-in buildpacks (folders of `buildpacks/`) and their documented detection order: the
 * first whose bin/detect accepts the app builds it. docs/buildpacks.md, "Detection order".
 *
 * Languages whose manifest names the app's main language come first, Node.js after them (many
 * Ruby, PHP, Python, Java and Go apps carry a package.json only for their front-end assets), then
 * any other built-in by name, then the catch-alls: a static site (index.html), a Procfile alone.
 */
import fs from 'node:fs';
import path from 'node:path';

export const LANGUAGE_ORDER: readonly string[] = ['ruby', 'php', 'python', 'java', 'go', 'nodejs'];
export const CATCH_ALL_ORDER: readonly string[] = ['static', 'procfile'];

/** What the "nothing detected" error says each built-in looks for. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  nodejs: 'Node.js (package.json)',
  ruby: 'Ruby (Gemfile)',
  php: 'PHP (composer.json or index.php)',
  python: 'Python (requirements.txt, pyproject.toml, Pipfile or runtime.txt)',
  java: 'Java (pom.xml, build.gradle, mvnw, gradlew or a .jar)',
  go: 'Go (go.mod)',
  static: 'a static site (index.html, static.json or .static)',
  procfile: 'a Procfile alone',
};

/** Orders built-in names: LANGUAGE_ORDER, then the others alphabetically, then CATCH_ALL_ORDER. Pure. */
export function detectionOrder(names: readonly string[]): string[] {
  const known = [...LANGUAGE_ORDER, ...CATCH_ALL_ORDER];
  const others = names.filter((n) => !known.includes(n)).sort();
  return [
    ...LANGUAGE_ORDER.filter((n) => names.includes(n)),
    ...others,
    ...CATCH_ALL_ORDER.filter((n) => names.includes(n)),
  ];
}

/** A folder is a buildpack when it has executable bin/detect and bin/compile. */
export function isBuildpackDir(dir: string): boolean {
  try {
    for (const script of ['detect', 'compile']) {
      fs.accessSync(path.join(dir, 'bin', script), fs.constants.X_OK);
    }
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The built-ins present in `buildpacksDir`, in detection order. */
export function builtinBuildpacks(buildpacksDir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(buildpacksDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const names = entries.filter((e) => e.isDirectory() && isBuildpackDir(path.join(buildpacksDir, e.name))).map((e) => e.name);
  return detectionOrder(names);
}

/**
 * What the "nothing detected" error lists: a root Dockerfile, then the built-ins. Node.js is named
 * first (the most common), the others follow in detection order.
 */
export function supportedList(builtins: readonly string[]): string[] {
  const ordered = builtins.includes('nodejs') ? ['nodejs', ...builtins.filter((n) => n !== 'nodejs')] : [...builtins];
  return ['a Dockerfile at the root', ...ordered.map((n) => DESCRIPTIONS[n] ?? `${n} (buildpacks/${n})`)];
}

export function nothingDetectedMessage(builtins: readonly string[]): string {
  return `No buildpack detected this app. Supported: ${supportedList(builtins).join('; ')}. `
    + 'Or choose buildpacks yourself: slipway buildpacks:set APP BUILDPACK, a .buildpacks file, or the BUILDPACK_URL config var.';
}

/**
 * Checks a reference when it is set on an app: a built-in must exist, a host directory must be a
 * buildpack. URLs are fetched (and checked) by the next build.
 */
export function buildpackCheck(buildpacksDir: string): (ref: { kind: string; name?: string; path?: string }) => string | null {
  return (ref) => {
    if (ref.kind === 'builtin') {
      const builtins = builtinBuildpacks(buildpacksDir);
      return builtins.includes(ref.name ?? '')
        ? null
        : `There is no built-in buildpack "${ref.name}". Built-in: ${[...builtins].sort().join(', ') || 'none'}; or give a git URL, an https tarball URL or a directory path.`;
    }
    if (ref.kind === 'path') {
      let real: string;
      try {
        real = fs.realpathSync(ref.path ?? '');
      } catch {
        return `${ref.path} does not exist on the Slipway host.`;
      }
      return isBuildpackDir(real) ? null : `${ref.path} is not a buildpack: it needs executable bin/detect and bin/compile.`;
    }
    return null;
  };
}
