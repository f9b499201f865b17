import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ApiClient } from '../../../cli/api-client';
import type { CommandContext } from '../../../cli/commands';
import { appsRename, pointsAtApp } from '../../../cli/commands-rename';

describe('cli apps:rename', () => {
  let dir: string;
  let printed: string[];
  let renamed: Array<[string, string]>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-rename-cli-'));
    printed = [];
    renamed = [];
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function context(): CommandContext {
    const client = {
      apiUrl: 'http://127.0.0.1:4000',
      renameApp: async (from: string, to: string) => {
        renamed.push([from, to]);
        return { name: to, url: `http://${to}.slipway.test`, gitUrl: `ssh://git@git.slipway.test:2222/${to}.git`, createdAt: '', currentRelease: 1 };
      },
      info: async () => ({ domain: 'slipway.test', sshHost: 'git.slipway.test', sshPort: 2222, version: '0.1.0' }),
    } as unknown as ApiClient;
    return { client: () => client, out: (text) => printed.push(text), color: false, now: () => new Date(0), cwd: dir, homeDir: dir };
  }

  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

  it('renames, prints the new URLs and points the repository\'s slipway remote at the new name', async () => {
    git('init', '--quiet');
    git('remote', 'add', 'slipway', 'ssh://git@git.slipway.test:2222/shop.git');
    await appsRename(context(), 'shop', 'store');
    expect(renamed).to.deep.equal([['shop', 'store']]);
    expect(printed).to.deep.equal([
      'Renaming shop to store... done',
      'http://store.slipway.test | ssh://git@git.slipway.test:2222/store.git',
      'Git remote slipway updated: ssh://git@git.slipway.test:2222/store.git',
    ]);
    expect(git('remote', 'get-url', 'slipway')).to.equal('ssh://git@git.slipway.test:2222/store.git');
  });

  it('leaves a remote of another app alone and says how to update it', async () => {
    git('init', '--quiet');
    git('remote', 'add', 'slipway', 'ssh://git@git.slipway.test:2222/blog.git');
    await appsRename(context(), 'shop', 'store');
    expect(printed.at(-1)).to.equal('Point your git remote at it: slipway git:remote store (or git remote set-url slipway ssh://git@git.slipway.test:2222/store.git)');
    expect(git('remote', 'get-url', 'slipway')).to.equal('ssh://git@git.slipway.test:2222/blog.git');
  });

  it('says how to update the remote outside a repository', async () => {
    await appsRename(context(), 'shop', 'store');
    expect(printed.at(-1)).to.match(/^Point your git remote at it: slipway git:remote store/);
  });

  it('recognises the app in a remote URL by its last path segment', () => {
    expect(pointsAtApp('ssh://git@host:2222/shop.git', 'shop')).to.equal(true);
    expect(pointsAtApp('ssh://git@host:2222/myshop.git', 'shop')).to.equal(false);
  });
});
