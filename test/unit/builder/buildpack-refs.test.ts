import { expect } from 'chai';
import { displayBuildpack, explicitBuildpacks, parseBuildpackRef, parseBuildpacksFile } from '../../../engine/buildpacks';
import { SlipwayError } from '../../../lib/errors';

function refusal(input: string): string {
  try {
    parseBuildpackRef(input);
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('invalid_request');
    return (error as Error).message;
  }
  throw new Error(`"${input}" was accepted`);
}

describe('engine/buildpacks: buildpack references', () => {
  describe('parseBuildpackRef', () => {
    it('reads built-in names, and heroku/NAME as the built-in NAME', () => {
      expect(parseBuildpackRef('nodejs')).to.deep.equal({ kind: 'builtin', name: 'nodejs', raw: 'nodejs' });
      expect(parseBuildpackRef('  python ')).to.deep.equal({ kind: 'builtin', name: 'python', raw: 'python' });
      expect(parseBuildpackRef('heroku/nodejs')).to.deep.equal({ kind: 'builtin', name: 'nodejs', raw: 'heroku/nodejs' });
    });

    it('reads git URLs with and without #ref', () => {
      expect(parseBuildpackRef('https://git.example.com/team/bp.git')).to.deep.equal({
        kind: 'git', url: 'https://git.example.com/team/bp.git', ref: null, raw: 'https://git.example.com/team/bp.git',
      });
      expect(parseBuildpackRef('https://git.example.com/team/bp.git#v1.2')).to.include({ kind: 'git', url: 'https://git.example.com/team/bp.git', ref: 'v1.2' });
      expect(parseBuildpackRef('https://git.example.com/team/bp#feature/x')).to.include({ kind: 'git', ref: 'feature/x' });
      expect(parseBuildpackRef('git://127.0.0.1:9418/bp.git#0123abcd')).to.include({ kind: 'git', url: 'git://127.0.0.1:9418/bp.git', ref: '0123abcd' });
      expect(parseBuildpackRef('ssh://git@git.example.com/bp.git')).to.include({ kind: 'git', ref: null });
      expect(parseBuildpackRef('git@git.example.com:team/bp.git#main')).to.include({ kind: 'git', url: 'git@git.example.com:team/bp.git', ref: 'main' });
      expect(parseBuildpackRef('http://127.0.0.1:8000/bp')).to.include({ kind: 'git' });
    });

    it('reads http(s) tarball URLs (.tgz, .tar.gz, .tar)', () => {
      for (const url of ['https://files.example.com/bp.tgz', 'https://files.example.com/v1/bp.tar.gz', 'http://127.0.0.1:8000/bp.tar', 'https://x.example.com/BP.TGZ?download=1']) {
        expect(parseBuildpackRef(url), url).to.deep.equal({ kind: 'tarball', url, raw: url });
      }
    });

    it('reads absolute directories on the host, normalised', () => {
      expect(parseBuildpackRef('/opt/buildpacks/mine/')).to.deep.equal({ kind: 'path', path: '/opt/buildpacks/mine', raw: '/opt/buildpacks/mine/' });
      expect(parseBuildpackRef('/opt//buildpacks/./mine')).to.include({ path: '/opt/buildpacks/mine' });
    });

    it('refuses what it cannot use, saying what is accepted', () => {
      expect(refusal('')).to.include('it is empty');
      expect(refusal('https://x.example.com/a b.git')).to.include('spaces');
      expect(refusal('/opt/../etc')).to.include('may not contain ".."');
      expect(refusal('file:///srv/bp')).to.include('give the directory\'s absolute path');
      expect(refusal('ftp://x.example.com/bp.tgz')).to.include('ftp:// URLs are not accepted');
      expect(refusal('ext::sh -c x')).to.include('spaces');
      expect(refusal('ext::evil')).to.include('URLs are not accepted');
      expect(refusal('heroku-community/apt')).to.include('registry names are not supported');
      expect(refusal('Capital')).to.include('use a built-in name');
      expect(refusal('relative/path/to/bp/dir')).to.include('use a built-in name');
      expect(refusal('https://x.example.com/bp.git#--upload-pack=evil')).to.include('is not a git branch, tag or commit');
      expect(refusal('https://x.example.com/bp.git#a..b')).to.include('is not a git branch');
      expect(refusal('https://x.example.com/bp.tgz#v1')).to.include('a tarball URL cannot have a #ref');
      expect(refusal(`https://x.example.com/${'a'.repeat(1000)}`)).to.include('longer than 1000');
    });
  });

  it('displayBuildpack masks the password of a URL', () => {
    expect(displayBuildpack('https://user:s3cret@git.example.com/bp.git#v1')).to.equal('https://user:***@git.example.com/bp.git#v1');
    expect(displayBuildpack('https://token@git.example.com/bp.git')).to.equal('https://***@git.example.com/bp.git');
    expect(displayBuildpack('nodejs')).to.equal('nodejs');
    expect(displayBuildpack('git@git.example.com:team/bp.git')).to.equal('git@git.example.com:team/bp.git');
  });

  describe('parseBuildpacksFile (.buildpacks)', () => {
    it('reads one buildpack per line, skipping blank lines and comments', () => {
      const refs = parseBuildpacksFile('# first the apt packages\nhttps://files.example.com/apt.tgz\n\n  nodejs  \r\n/opt/bp/mine\n');
      expect(refs.map((r) => r.kind)).to.deep.equal(['tarball', 'builtin', 'path']);
      expect(refs.map((r) => r.raw)).to.deep.equal(['https://files.example.com/apt.tgz', 'nodejs', '/opt/bp/mine']);
    });

    it('names the line of a bad entry, failing the build', () => {
      expect(() => parseBuildpacksFile('nodejs\nftp://x/y.tgz\n')).to.throw(SlipwayError, '.buildpacks line 2: "ftp://x/y.tgz" is not a buildpack');
    });

    it('reads an empty file as no buildpacks', () => {
      expect(parseBuildpacksFile('\n# nothing\n')).to.deep.equal([]);
    });
  });

  describe('explicitBuildpacks: which buildpacks a build uses', () => {
    it('takes the app\'s own list first, then BUILDPACK_URL, then .buildpacks', () => {
      const config = { BUILDPACK_URL: 'https://git.example.com/from-config.git' };
      const file = 'python\n';
      expect(explicitBuildpacks(['nodejs', '/opt/bp'], config, file)).to.deep.include({ source: 'app' });
      expect(explicitBuildpacks(['nodejs', '/opt/bp'], config, file)!.refs.map((r) => r.raw)).to.deep.equal(['nodejs', '/opt/bp']);
      expect(explicitBuildpacks([], config, file)).to.deep.equal({ source: 'BUILDPACK_URL', refs: [parseBuildpackRef(config.BUILDPACK_URL)] });
      expect(explicitBuildpacks([], {}, file)).to.deep.equal({ source: '.buildpacks', refs: [parseBuildpackRef('python')] });
    });

    it('answers null (detection, or a root Dockerfile) when nothing is chosen', () => {
      expect(explicitBuildpacks([], {}, null)).to.equal(null);
      expect(explicitBuildpacks([], { BUILDPACK_URL: '  ' }, '# only a comment\n')).to.equal(null);
    });

    it('fails the build on a bad BUILDPACK_URL, naming the var', () => {
      expect(() => explicitBuildpacks([], { BUILDPACK_URL: 'ftp://x/y' }, null)).to.throw(SlipwayError, 'The BUILDPACK_URL config var');
    });
  });
});
