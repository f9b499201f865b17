'use strict';
// Checks a downloaded tarball against the registry's Subresource Integrity string, so a
// truncated or tampered download never becomes an app's runtime.
//   node integrity.js FILE SRI     (SRI like "sha512-<base64>"); exit 0 when it matches
// Plain CommonJS without dependencies: it runs under Debian's node 18 in the build image.

const crypto = require('crypto');
const fs = require('fs');

function matches(file, sri) {
  const m = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)$/.exec(String(sri).trim());
  if (!m) throw new Error(`unsupported integrity string "${sri}"`);
  const digest = crypto.createHash(m[1]).update(fs.readFileSync(file)).digest('base64');
  return digest === m[2];
}

module.exports = { matches };

if (require.main === module) {
  const [file, sri] = process.argv.slice(2);
  try {
    if (!matches(file, sri)) {
      process.stderr.write(`${file} does not match its registry checksum ${sri}\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    process.stderr.write(`Cannot verify ${file}: ${err.message}\n`);
    process.exitCode = 1;
  }
}
