'use strict';
// Reads package.json for the bin/ scripts, which are bash and cannot parse JSON themselves.
//   node package-json.js has-script FILE NAME  exit 0 if scripts.NAME is a non-empty string (bin/release)
//   node package-json.js summary FILE          all bin/compile needs, in one call (see summary())
// Both exit 1 with the parse error on stderr when FILE is not valid JSON.
// Plain CommonJS without dependencies: it runs under Debian's node 18 in the build image.

const fs = require('fs');

// Fields of package.json that change the content of node_modules. Scripts, name, version and
// the like do not, so editing them must not throw the node_modules cache away.
const INSTALL_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'overrides',
  'workspaces',
  'engines',
  'packageManager',
];

function read(file) {
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) throw new Error('the top level is not a JSON object');
  return pkg;
}

function get(pkg, path) {
  let value = pkg;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = value[key];
  }
  return value;
}

function hasScript(pkg, name) {
  const script = get(pkg, `scripts.${name}`);
  return typeof script === 'string' && script.trim() !== '';
}

// JSON with object keys sorted at every level, so that reordering keys is not a change.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

function installInputs(pkg) {
  const picked = {};
  for (const field of INSTALL_FIELDS) if (pkg[field] !== undefined) picked[field] = pkg[field];
  return canonical(picked);
}

// Scripts bin/compile asks about: npm ci's root lifecycle hooks, and build.
const SUMMARY_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'build'];

// Everything bin/compile needs from package.json, in one line each, so that it starts node
// once instead of a dozen times (Debian's node takes about half a second to start):
//   1. engines.node   2. engines.npm   3. the SUMMARY_SCRIPTS present, space-separated
//   4. "dev" if there are devDependencies   5. installInputs()
//   6. packageManager ("pnpm@9.12.0", "yarn@4.5.0+sha512.…": which one corepack runs)
function summary(pkg) {
  const oneLine = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v).replace(/\s+/g, ' ').trim() : '');
  const dev = pkg.devDependencies && typeof pkg.devDependencies === 'object' && Object.keys(pkg.devDependencies).length > 0;
  return [
    oneLine(get(pkg, 'engines.node')),
    oneLine(get(pkg, 'engines.npm')),
    SUMMARY_SCRIPTS.filter((name) => hasScript(pkg, name)).join(' '),
    dev ? 'dev' : '',
    installInputs(pkg),
    oneLine(pkg.packageManager),
  ].join('\n');
}

module.exports = { read, get, hasScript, installInputs, canonical, summary };

function main([command, file, arg]) {
  if (!command || !file) {
    process.stderr.write('usage: package-json.js has-script|summary FILE [ARG]\n');
    return 2;
  }
  let pkg;
  try {
    pkg = read(file);
  } catch (err) {
    process.stderr.write(`${file} is not valid JSON: ${err.message}\n`);
    return 1;
  }
  switch (command) {
    case 'has-script':
      return hasScript(pkg, arg || '') ? 0 : 1;
    case 'summary':
      process.stdout.write(`${summary(pkg)}\n`);
      return 0;
    default:
      process.stderr.write(`package-json.js: unknown command "${command}"\n`);
      return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
