// Unit tests of buildpacks/nodejs/lib/package-json.js: what bin/compile learns from package.json.
import { expect } from 'chai';
import path from 'path';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
interface PackageJson {
  hasScript(pkg: object, name: string): boolean;
  installInputs(pkg: object): string;
  summary(pkg: object): string;
}
const pj = require(path.join(REPO_ROOT, 'buildpacks/nodejs/lib/package-json.js')) as PackageJson;

describe('buildpacks/nodejs package-json', () => {
  it('summarises package.json in five lines for bin/compile', () => {
    const pkg = {
      name: 'x',
      engines: { node: '>=20\n<23', npm: '^10' },
      scripts: { build: 'tsc', postinstall: 'node setup.js', start: 'node .', prepare: '' },
      dependencies: { ms: '^2' },
      devDependencies: { typescript: '^5' },
    };
    expect(pj.summary(pkg).split('\n')).to.deep.equal([
      '>=20 <23',
      '^10',
      'postinstall build',
      'dev',
      '{"dependencies":{"ms":"^2"},"devDependencies":{"typescript":"^5"},"engines":{"node":">=20\\n<23","npm":"^10"}}',
      '',
    ]);
    expect(pj.summary({})).to.equal('\n\n\n\n{}\n');
    // packageManager (which yarn or pnpm corepack runs) is the sixth line and part of the install key.
    const pnpm = { packageManager: 'pnpm@9.12.0', dependencies: { ms: '^2' } };
    expect(pj.summary(pnpm).split('\n')[5]).to.equal('pnpm@9.12.0');
    expect(pj.installInputs(pnpm)).to.not.equal(pj.installInputs({ ...pnpm, packageManager: 'pnpm@9.13.0' }));
  });

  it('keys the install on dependency fields only, whatever their order', () => {
    const a = { name: 'a', version: '1.0.0', scripts: { build: 'x' }, dependencies: { b: '1', a: '2' } };
    const b = { dependencies: { a: '2', b: '1' }, name: 'renamed', scripts: { build: 'y' } };
    expect(pj.installInputs(a)).to.equal(pj.installInputs(b));
    expect(pj.installInputs(a)).to.not.equal(pj.installInputs({ ...a, overrides: { a: '3' } }));
  });

  it('only counts non-empty string scripts', () => {
    expect(pj.hasScript({ scripts: { start: 'node .' } }, 'start')).to.equal(true);
    expect(pj.hasScript({ scripts: { start: ' ' } }, 'start')).to.equal(false);
    expect(pj.hasScript({ scripts: ['start'] }, 'start')).to.equal(false);
    expect(pj.hasScript({}, 'start')).to.equal(false);
  });
});
