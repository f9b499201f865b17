/**
 * Fetching external buildpacks on the host: git URLs (a real git daemon) at a tag, a branch or a
 * commit; tarballs over HTTP; what is refused, and that nothing is written outside the work dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import tar from 'tar-stream';
import zlib from 'node:zlib';
import { BuildpackFetcher, safeEntryPath } from '../../../builder/buildpack-fetch';
import { parseBuildpackRef } from '../../../engine/buildpacks';
import { SlipwayError } from '../../../lib/errors';
import { freePort, run } from '../../support/slipway';
import { waitFor } from '../engine/wait-for';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'buildpacks');
const AUTHOR = { GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' };

async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await run('git', args, { cwd, env: AUTHOR });
  expect(result.code, result.output).to.equal(0);
  return result.stdout.trim();
}

interface TarEntry { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; mode?: number; linkname?: string }

async function tarball(entries: TarEntry[], gzip = true): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (header.type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  return gzip ? zlib.gzipSync(raw) : raw;
}

const BUILDPACK_FILES: TarEntry[] = [
  { name: 'bin/detect', content: '#!/bin/sh\necho Tar\n', mode: 0o755 },
  { name: 'bin/compile', content: '#!/bin/sh\n', mode: 0o755 },
  { name: 'bin/release', content: '#!/bin/sh\necho "--- {}"\n', mode: 0o700 },
];

describe('builder/buildpack-fetch', function () {
  let root: string;
  let work: string;
  let fetcher: BuildpackFetcher;
  const said: string[] = [];
  const say = (line: string): void => { said.push(line); };
  const never = new AbortController().signal;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-fetch-'));
    work = path.join(root, 'work');
    fetcher = new BuildpackFetcher({ buildpacksDir: path.join(FIXTURES), workRoot: path.join(root, 'builds'), maxTarballBytes: 64 * 1024 });
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('uses built-ins and host directories where they are, and refuses what is not a buildpack', async () => {
    const builtin = await fetcher.fetch(parseBuildpackRef('third-party'), 0, work, never, say);
    expect(builtin).to.deep.equal({ label: 'third-party', hostDir: path.join(FIXTURES, 'third-party') });
    const dir = await fetcher.fetch(parseBuildpackRef(path.join(FIXTURES, 'multi-first')), 1, work, never, say);
    expect(dir.hostDir).to.equal(fs.realpathSync(path.join(FIXTURES, 'multi-first')));
    const missing = await fetcher.fetch(parseBuildpackRef('no-such'), 0, work, never, say).catch((e: unknown) => e);
    expect((missing as Error).message).to.match(/^There is no built-in buildpack "no-such"\. Built-in: failing, multi-first/);
    const notOne = await fetcher.fetch(parseBuildpackRef(root), 0, work, never, say).catch((e: unknown) => e);
    expect(notOne).to.be.instanceOf(SlipwayError);
    expect((notOne as Error).message).to.include('lacks an executable bin/detect and bin/compile');
  });

  describe('git URLs', function () {
    let daemon: ChildProcess;
    let base: string;
    let v1Commit: string;

    before(async function () {
      const repos = path.join(root, 'repos');
      const src = path.join(root, 'src');
      fs.cpSync(path.join(FIXTURES, 'third-party'), src, { recursive: true });
      await git(src, 'init', '-q', '--initial-branch=main');
      await git(src, 'add', '-A');
      await git(src, 'commit', '-q', '-m', 'v1');
      await git(src, 'tag', 'v1');
      v1Commit = await git(src, 'rev-parse', 'HEAD');
      fs.writeFileSync(path.join(src, 'VERSION'), 'two\n');
      await git(src, 'add', '-A');
      await git(src, 'commit', '-q', '-m', 'v2');
      await git(src, 'checkout', '-q', '-b', 'next');
      fs.writeFileSync(path.join(src, 'VERSION'), 'next\n');
      await git(src, 'commit', '-q', '-am', 'next');
      await git(src, 'checkout', '-q', 'main');
      fs.mkdirSync(repos);
      await git(root, 'clone', '-q', '--bare', src, path.join(repos, 'bp.git'));
      const port = await freePort();
      daemon = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${repos}`, '--export-all', repos], { stdio: 'ignore' });
      base = `git://127.0.0.1:${port}`;
      await waitFor('git daemon', async () => (await run('git', ['ls-remote', `${base}/bp.git`])).code === 0, { timeoutMs: 20_000 });
    });

    after(() => daemon?.kill());

    const version = (dir: string): string | null => (fs.existsSync(path.join(dir, 'VERSION')) ? fs.readFileSync(path.join(dir, 'VERSION'), 'utf8').trim() : null);

    it('clones the default branch, a tag, a branch and a commit, without .git, readable by the build user', async () => {
      const head = await fetcher.fetch(parseBuildpackRef(`${base}/bp.git`), 0, work, never, say);
      expect(head.hostDir).to.equal(path.join(work, '01'));
      expect(version(head.hostDir)).to.equal('two');
      expect(fs.existsSync(path.join(head.hostDir, '.git'))).to.equal(false);
      expect(said).to.include(`-----> Fetching buildpack ${base}/bp.git`);
      expect(fs.statSync(head.hostDir).mode & 0o755).to.equal(0o755);

      expect(version((await fetcher.fetch(parseBuildpackRef(`${base}/bp.git#v1`), 1, work, never, say)).hostDir)).to.equal(null);
      expect(version((await fetcher.fetch(parseBuildpackRef(`${base}/bp.git#next`), 2, work, never, say)).hostDir)).to.equal('next');
      const byCommit = await fetcher.fetch(parseBuildpackRef(`${base}/bp.git#${v1Commit}`), 3, work, never, say);
      expect(version(byCommit.hostDir)).to.equal(null);
      expect(fs.existsSync(path.join(byCommit.hostDir, 'bin', 'compile'))).to.equal(true);
    });

    it('says which ref or repository could not be had', async () => {
      const noRef = await fetcher.fetch(parseBuildpackRef(`${base}/bp.git#v9`), 0, work, never, say).catch((e: unknown) => e);
      expect((noRef as Error).message).to.include(`The buildpack ${base}/bp.git has no branch, tag or commit "v9"`);
      const noRepo = await fetcher.fetch(parseBuildpackRef(`${base}/nothing.git`), 0, work, never, say).catch((e: unknown) => e);
      expect((noRepo as Error).message).to.include(`Could not clone the buildpack ${base}/nothing.git`);
    });
  });

  describe('tarballs over HTTP', function () {
    let server: http.Server;
    let url: string;
    const files: Record<string, Buffer> = {};

    before(async () => {
      Object.assign(files, {
        '/plain.tgz': await tarball(BUILDPACK_FILES),
        '/plain.tar': await tarball(BUILDPACK_FILES, false),
        '/wrapped.tar.gz': await tarball([{ name: 'bp-1.0/', type: 'directory' }, ...BUILDPACK_FILES.map((f) => ({ ...f, name: `bp-1.0/${f.name}` }))]),
        '/empty.tgz': await tarball([{ name: 'README', content: 'no bin' }]),
        '/escape.tgz': await tarball([...BUILDPACK_FILES, { name: '../../escaped', content: 'x' }]),
        '/absolute.tgz': await tarball([...BUILDPACK_FILES, { name: '/tmp/absolute', content: 'x' }]),
        '/links.tgz': await tarball([
          ...BUILDPACK_FILES,
          { name: 'out', type: 'symlink', linkname: '/' },
          { name: 'out/written-through-link', content: 'x' },
          { name: 'copy', type: 'link', linkname: 'bin/detect' },
          { name: 'copy-through', type: 'link', linkname: 'out/etc/hostname' },
        ]),
        '/garbage.tgz': Buffer.from([0x1f, 0x8b, 1, 2, 3]),
        '/large.tgz': Buffer.alloc(100 * 1024, 1),
      });
      server = http.createServer((req, res) => {
        const body = files[req.url ?? ''];
        if (!body) return void res.writeHead(404).end('not here');
        res.writeHead(200).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('unpacks .tgz and .tar, and finds a buildpack wrapped in one folder, readable by the build user', async () => {
      const plain = await fetcher.fetch(parseBuildpackRef(`${url}/plain.tgz`), 0, work, never, say);
      expect(fs.readFileSync(path.join(plain.hostDir, 'bin', 'detect'), 'utf8')).to.equal('#!/bin/sh\necho Tar\n');
      expect(fs.statSync(path.join(plain.hostDir, 'bin', 'release')).mode & 0o777).to.equal(0o755);
      expect((await fetcher.fetch(parseBuildpackRef(`${url}/plain.tar`), 1, work, never, say)).hostDir).to.equal(path.join(work, '02'));
      const wrapped = await fetcher.fetch(parseBuildpackRef(`${url}/wrapped.tar.gz`), 2, work, never, say);
      expect(wrapped.hostDir).to.equal(path.join(work, '03', 'bp-1.0'));
    });

    it('never writes outside its folder: escaping names are refused, links are made last and not followed', async () => {
      for (const file of ['escape.tgz', 'absolute.tgz']) {
        const error = await fetcher.fetch(parseBuildpackRef(`${url}/${file}`), 0, work, never, say).catch((e: unknown) => e);
        expect((error as Error).message, file).to.include('The buildpack tarball has an unsafe path');
      }
      expect(fs.existsSync(path.join(root, 'escaped'))).to.equal(false);
      const links = await fetcher.fetch(parseBuildpackRef(`${url}/links.tgz`), 4, work, never, say);
      expect(fs.lstatSync(path.join(links.hostDir, 'out')).isDirectory()).to.equal(true); // the file went in a real folder; the link was dropped
      expect(fs.existsSync('/written-through-link')).to.equal(false);
      expect(fs.readFileSync(path.join(links.hostDir, 'copy'), 'utf8')).to.equal('#!/bin/sh\necho Tar\n');
      expect(fs.existsSync(path.join(links.hostDir, 'copy-through'))).to.equal(false);
      expect(safeEntryPath('./a/./b')).to.equal('a/b');
      expect(safeEntryPath('./')).to.equal(null);
    });

    it('says what went wrong: HTTP errors, not a buildpack, not a tarball, too large', async () => {
      const cases: Array<[string, string]> = [
        ['missing.tgz', 'HTTP 404'],
        ['empty.tgz', 'is not a buildpack: it has no executable bin/detect and bin/compile'],
        ['garbage.tgz', 'is not a valid tarball'],
        ['large.tgz', 'is larger than 64 KB'],
      ];
      for (const [file, message] of cases) {
        const error = await fetcher.fetch(parseBuildpackRef(`${url}/${file}`), 0, work, never, say).catch((e: unknown) => e);
        expect(error, file).to.be.instanceOf(SlipwayError);
        expect((error as Error).message, file).to.include(message);
      }
      const closed = await freePort();
      const refused = await fetcher.fetch(parseBuildpackRef(`http://127.0.0.1:${closed}/bp.tgz`), 0, work, never, say).catch((e: unknown) => e);
      expect((refused as Error).message).to.include(`Could not download the buildpack http://127.0.0.1:${closed}/bp.tgz`);
    });

    it('stops when the build is out of time', async () => {
      const controller = new AbortController();
      const reason = new SlipwayError('build_failed', 'out of time');
      controller.abort(reason);
      const error = await fetcher.fetch(parseBuildpackRef(`${url}/plain.tgz`), 0, work, controller.signal, say).catch((e: unknown) => e);
      expect(error).to.equal(reason);
    });
  });

  it('gives each build a work folder of its own, removed at the end', async () => {
    const one = fetcher.workDir('b1');
    expect(one.dir).to.equal(path.join(root, 'builds', 'buildpacks-b1'));
    fs.mkdirSync(one.dir, { recursive: true });
    await one.remove();
    expect(fs.existsSync(one.dir)).to.equal(false);
  });
});
