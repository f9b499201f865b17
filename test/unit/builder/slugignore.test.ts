import { expect } from 'chai';
import { parseSlugIgnore } from '../../../builder/slugignore';

describe('builder/slugignore: .slugignore matching (Heroku semantics)', () => {
  const ignored = (text: string, path: string, isDir = false): boolean => parseSlugIgnore(text).ignores(path, isDir);

  it('ignores nothing without a file or with only comments and blank lines', () => {
    expect(ignored('', 'a.txt')).to.equal(false);
    expect(parseSlugIgnore(null).ignores('a.txt', false)).to.equal(false);
    expect(ignored('# comment\n\n   \n', 'comment')).to.equal(false);
  });

  it('matches a name without a slash at any depth', () => {
    expect(ignored('*.psd', 'design.psd')).to.equal(true);
    expect(ignored('*.psd', 'assets/img/design.psd')).to.equal(true);
    expect(ignored('*.psd', 'design.psd.txt')).to.equal(false);
    expect(ignored('test', 'test')).to.equal(true);
    expect(ignored('test', 'lib/test/x.rb')).to.equal(true);
    expect(ignored('test', 'testing/x.rb')).to.equal(false);
  });

  it('anchors patterns with a leading or inner slash to the root', () => {
    expect(ignored('/spec', 'spec/a_spec.rb')).to.equal(true);
    expect(ignored('/spec', 'lib/spec/a_spec.rb')).to.equal(false);
    expect(ignored('docs/*.md', 'docs/a.md')).to.equal(true);
    expect(ignored('docs/*.md', 'docs/sub/a.md')).to.equal(false);
    expect(ignored('docs/*.md', 'other/docs/a.md')).to.equal(false);
  });

  it('removes everything under an ignored folder', () => {
    expect(ignored('vendor/cache', 'vendor/cache/gem-1.0.gem')).to.equal(true);
    expect(ignored('tmp', 'tmp/a/b/c.log')).to.equal(true);
  });

  it('matches folders only with a trailing slash', () => {
    expect(ignored('log/', 'log', true)).to.equal(true);
    expect(ignored('log/', 'log/app.log')).to.equal(true);
    expect(ignored('log/', 'log')).to.equal(false); // a file named log
    expect(ignored('log/', 'src/log/x')).to.equal(true);
  });

  it('understands ?, [...] and **', () => {
    expect(ignored('file?.txt', 'file1.txt')).to.equal(true);
    expect(ignored('file?.txt', 'file10.txt')).to.equal(false);
    expect(ignored('*.[oa]', 'lib/x.o')).to.equal(true);
    expect(ignored('*.[!oa]', 'lib/x.o')).to.equal(false);
    expect(ignored('*.[!oa]', 'lib/x.c')).to.equal(true);
    expect(ignored('**/fixtures', 'spec/deep/fixtures/a.json')).to.equal(true);
    expect(ignored('**/fixtures', 'fixtures/a.json')).to.equal(true);
    expect(ignored('docs/**', 'docs/a/b.md')).to.equal(true);
    expect(ignored('docs/**', 'docs')).to.equal(false);
    expect(ignored('a/**/z', 'a/z')).to.equal(true);
    expect(ignored('a/**/z', 'a/b/c/z')).to.equal(true);
  });

  it('treats regex characters literally and honours escapes', () => {
    expect(ignored('a+b.(c)', 'a+b.(c)')).to.equal(true);
    expect(ignored('a+b.(c)', 'aab.(c)')).to.equal(false);
    expect(ignored('\\#notes', '#notes')).to.equal(true);
  });

  it('skips negations with a warning, as Heroku does not support them', () => {
    const rules = parseSlugIgnore('*.log\n!keep.log\n');
    expect(rules.ignores('keep.log', false)).to.equal(true);
    expect(rules.warnings).to.deep.equal(['.slugignore line 2: "!keep.log" ignored (negations are not supported)']);
  });

  it('never ignores the root itself', () => {
    expect(ignored('*', '')).to.equal(false);
    expect(ignored('*', 'x')).to.equal(true);
  });
});
