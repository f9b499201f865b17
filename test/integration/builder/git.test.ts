import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import tar from 'tar-stream';
import { archive, readFileAt, rootEntries, runGit, type GitObjectEnv } from '../../../builder/git';
import { HookServer } from '../../../builder/hook-server';
import type { PushHandler, PushRequest } from '../../../builder/push-handler';
import { GitRepositories } from '../../../builder/repositories';
import { silentLogger } from '../../../lib/log';
import { PLATFORM } from '../../../engine/policy';
import { run, type CommandResult } from '../../support/slipway';

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com',
};
const PRE_RECEIVE = path.resolve(__dirname, '..', '..', '..', 'builder', 'pre-receive.js');

/** A working copy whose commits are made with the test's author, never the machine's git config. */
class WorkTree {
  constructor(readonly dir: string) {}

  static async create(dir: string): Promise<WorkTree> {
    fs.mkdirSync(dir, { recursive: true });
    const tree = new WorkTree(dir);
    await tree.git('init', '-q', '--initial-branch=main');
    return tree;
  }

  async git(...args: string[]): Promise<CommandResult> {
    return run('git', args, { cwd: this.dir, env: AUTHOR });
  }

  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.dir, name)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, name), content);
    }
    await this.git('add', '-A');
    const committed = await this.git('commit', '-q', '-m', message);
    if (committed.code !== 0) throw new Error(`git commit failed: ${committed.output}`);
    return (await this.git('rev-parse', 'HEAD')).stdout.trim();
  }
}

function tarFiles(stream: Readable): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const files: Record<string, string> = {};
    const extract = tar.extract();
    extract.on('entry', (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      entry.on('end', () => {
        if (header.type === 'file') files[header.name] = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', () => resolve(files));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

describe('builder/git against real repositories', () => {
  let tmp: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-git-'));
  });

  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('reading a commit of a bare repository', () => {
    let bare: string;
    let first: string;
    let second: string;

    beforeEach(async () => {
      const work = await WorkTree.create(path.join(tmp, 'work'));
      first = await work.commit({
        Procfile: 'web: node src/index.js\n',
        'package.json': '{"name":"shop"}\n',
        'src/index.js': 'console.log("v1")\n',
      }, 'first');
      second = await work.commit({ Procfile: 'web: node src/index.js\nworker: node src/worker.js\n', 'src/index.js': 'console.log("v2")\n' }, 'second');
      bare = path.join(tmp, 'shop.git');
      const cloned = await runGit(['clone', '-q', '--bare', work.dir, bare]);
      expect(cloned.code, cloned.stderr).to.equal(0);
    });

    it('runGit reports git\'s exit code, output and errors', async () => {
      const ok = await runGit(['--git-dir', bare, 'rev-parse', 'main']);
      expect(ok).to.include({ code: 0, stderr: '' });
      expect(ok.stdout.toString().trim()).to.equal(second);
      const bad = await runGit(['--git-dir', bare, 'rev-parse', '--verify', 'no-such-branch']);
      expect(bad.code).to.not.equal(0);
      expect(bad.stderr).to.not.equal('');
    });

    it('readFileAt gives a file as it is in the given commit', async () => {
      expect(await readFileAt(bare, second, 'Procfile', {})).to.equal('web: node src/index.js\nworker: node src/worker.js\n');
      expect(await readFileAt(bare, first, 'Procfile', {})).to.equal('web: node src/index.js\n');
      expect(await readFileAt(bare, first, 'src/index.js', {})).to.equal('console.log("v1")\n');
    });

    it('readFileAt gives null for a file the commit does not have (no Procfile)', async () => {
      expect(await readFileAt(bare, second, 'Dockerfile', {})).to.equal(null);
      expect(await readFileAt(bare, 'f'.repeat(40), 'Procfile', {})).to.equal(null);
    });

    it('rootEntries lists the names at the root of the commit (how the builder detects a Dockerfile)', async () => {
      expect((await rootEntries(bare, second, {})).sort()).to.deep.equal(['Procfile', 'package.json', 'src']);
    });

    it('rootEntries fails with git\'s message for an unknown commit', async () => {
      try {
        await rootEntries(bare, 'f'.repeat(40), {});
      } catch (error) {
        expect((error as Error).message).to.match(/^git ls-tree failed: \S/);
        return;
      }
      throw new Error('expected rootEntries to fail');
    });

    it('archive streams the commit\'s tree as a tar', async () => {
      const { stream, done } = archive(bare, first, {});
      const files = await tarFiles(stream);
      await done;
      expect(files).to.deep.equal({
        Procfile: 'web: node src/index.js\n',
        'package.json': '{"name":"shop"}\n',
        'src/index.js': 'console.log("v1")\n',
      });
    });

    it('archive rejects with git\'s message for an unknown commit', async () => {
      const { stream, done } = archive(bare, 'f'.repeat(40), {});
      stream.resume();
      try {
        await done;
      } catch (error) {
        expect((error as Error).message).to.match(/^git archive failed: \S/);
        return;
      }
      throw new Error('expected archive to fail');
    });
  });

  describe('during a push, through the pre-receive hook (objects still in quarantine)', () => {
    let repos: GitRepositories;
    let hooks: HookServer;
    let seen: { refs: PushRequest['refs']; gitEnv: GitObjectEnv; procfile: string | null; withoutQuarantine: string | null; entries: string[]; files: Record<string, string> } | null;
    let accept: boolean;

    beforeEach(async () => {
      seen = null;
      accept = false;
      repos = new GitRepositories(path.join(tmp, 'repos'), PRE_RECEIVE);
      await repos.create('shop');
      // The handler reads the pushed commit the way the build pipeline does, from this process.
      const handler = {
        async handle(request: PushRequest): Promise<boolean> {
          const commit = request.refs[0]!.newSha;
          const { stream, done } = archive(request.repoPath, commit, request.gitEnv);
          const files = await tarFiles(stream);
          await done;
          seen = {
            refs: request.refs,
            gitEnv: request.gitEnv,
            procfile: await readFileAt(request.repoPath, commit, 'Procfile', request.gitEnv),
            withoutQuarantine: await readFileAt(request.repoPath, commit, 'Procfile', {}),
            entries: (await rootEntries(request.repoPath, commit, request.gitEnv)).sort(),
            files,
          };
          request.output(`-----> Building ${commit.slice(0, 7)}\n`);
          return accept;
        },
      };
      hooks = new HookServer(path.join(tmp, 'hook.sock'), handler as unknown as PushHandler, silentLogger());
      await hooks.start();
    });

    afterEach(async () => {
      await hooks.close();
    });

    async function push(work: WorkTree): Promise<CommandResult> {
      const pushId = hooks.register({ app: 'shop', repoPath: repos.pathOf('shop'), principal: PLATFORM });
      try {
        return await run('git', ['push', repos.pathOf('shop'), 'main'], {
          cwd: work.dir,
          env: { ...AUTHOR, SLIPWAY_PUSH_ID: pushId, SLIPWAY_HOOK_SOCKET: path.join(tmp, 'hook.sock') },
        });
      } finally {
        hooks.unregister(pushId);
      }
    }

    async function deployedMain(): Promise<string | null> {
      const result = await runGit(['--git-dir', repos.pathOf('shop'), 'rev-parse', '--verify', '-q', 'refs/heads/main']);
      return result.code === 0 ? result.stdout.toString().trim() : null;
    }

    it('lets the builder read the pushed commit, and a refused push leaves the branch untouched', async () => {
      const work = await WorkTree.create(path.join(tmp, 'work'));
      const sha = await work.commit({ Procfile: 'web: npm start\n', 'package.json': '{}\n' }, 'first');

      const result = await push(work);

      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include(`remote: -----> Building ${sha.slice(0, 7)}`);
      expect(seen).to.not.equal(null);
      expect(seen!.refs).to.deep.equal([{ oldSha: '0'.repeat(40), newSha: sha, ref: 'refs/heads/main' }]);
      expect(Object.keys(seen!.gitEnv)).to.include('GIT_OBJECT_DIRECTORY');
      expect(seen!.procfile).to.equal('web: npm start\n');
      expect(seen!.withoutQuarantine, 'pushed objects are only visible through the quarantine env').to.equal(null);
      expect(seen!.entries).to.deep.equal(['Procfile', 'package.json']);
      expect(seen!.files).to.deep.equal({ Procfile: 'web: npm start\n', 'package.json': '{}\n' });
      expect(await deployedMain()).to.equal(null);
    });

    it('updates the branch when the push is accepted', async () => {
      accept = true;
      const work = await WorkTree.create(path.join(tmp, 'work'));
      const sha = await work.commit({ 'index.js': 'x\n' }, 'first');

      const result = await push(work);

      expect(result.code, result.output).to.equal(0);
      expect(seen!.entries).to.deep.equal(['index.js']);
      expect(await deployedMain()).to.equal(sha);
      expect(await readFileAt(repos.pathOf('shop'), sha, 'index.js', {})).to.equal('x\n');
    });

    it('refuses a push that does not come through Slipway\'s SSH endpoint', async () => {
      const work = await WorkTree.create(path.join(tmp, 'work'));
      await work.commit({ 'index.js': 'x\n' }, 'first');
      const result = await run('git', ['push', repos.pathOf('shop'), 'main'], { cwd: work.dir, env: AUTHOR });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('Pushes go through Slipway\'s SSH endpoint: git push slipway main');
      expect(seen).to.equal(null);
      expect(await deployedMain()).to.equal(null);
    });
  });
});
