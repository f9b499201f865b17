import { expect } from 'chai';
import { parseGitCommand } from '../../../builder/ssh-server';

describe('builder/ssh-server parseGitCommand', () => {
  it('accepts what git sends for ssh://host/app.git and git@host:app.git remotes', () => {
    expect(parseGitCommand("git-receive-pack '/shop.git'")).to.deep.equal({ service: 'git-receive-pack', app: 'shop' });
    expect(parseGitCommand("git-receive-pack 'shop.git'")).to.deep.equal({ service: 'git-receive-pack', app: 'shop' });
    expect(parseGitCommand("git-upload-pack '/shop.git'")).to.deep.equal({ service: 'git-upload-pack', app: 'shop' });
  });

  it('accepts unquoted paths and paths without .git', () => {
    expect(parseGitCommand('git-receive-pack shop.git')).to.deep.equal({ service: 'git-receive-pack', app: 'shop' });
    expect(parseGitCommand('git-receive-pack /my-app-2')).to.deep.equal({ service: 'git-receive-pack', app: 'my-app-2' });
    expect(parseGitCommand("git-upload-pack 'shop'")).to.deep.equal({ service: 'git-upload-pack', app: 'shop' });
    expect(parseGitCommand("  git-receive-pack 'shop.git'\n")).to.deep.equal({ service: 'git-receive-pack', app: 'shop' });
  });

  it('refuses every other command', () => {
    for (const command of [
      "git-upload-archive 'shop.git'",
      'ls -la',
      'bash',
      '',
      "git receive-pack 'shop.git'",
      "sh -c 'git-receive-pack shop.git'",
      "scp -t 'shop.git'",
    ]) {
      expect(parseGitCommand(command), command).to.equal(null);
    }
  });

  it('refuses paths outside the repositories folder and chained commands', () => {
    for (const command of [
      "git-receive-pack '../x.git'",
      "git-receive-pack '/../x.git'",
      "git-upload-pack '../../etc/passwd'",
      "git-receive-pack '/srv/other/x.git'",
      "git-receive-pack '//x.git'",
      "git-receive-pack 'shop.git'; rm -rf /",
      "git-receive-pack 'shop.git' 'other.git'",
    ]) {
      expect(parseGitCommand(command), command).to.equal(null);
    }
  });
});
