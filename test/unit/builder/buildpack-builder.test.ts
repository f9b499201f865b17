import type { Readable } from 'node:stream';
import { expect } from 'chai';
import tar from 'tar-stream';
import { APP_USER, cacheVolumeName, formatBytes, runtimeBaseRepository, withAppUser } from '../../../builder/buildpack-builder';
import { buildpackCheck, builtinBuildpacks, detectionOrder, nothingDetectedMessage, supportedList } from '../../../builder/builtin-buildpacks';
import { filesTar } from '../../../builder/docker-streams';
import { describeDuration, timeoutMessage } from '../../../builder/pipeline';
import { relocateTar } from '../../../builder/tar-filter';
import { parseImageReference, imageDeployDescription } from '../../../builder/image-deploy';
import { SlipwayError } from '../../../lib/errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Entry { name: string; type: string; mode: number; uid: number; gid: number; content: string }

function readTar(stream: Readable): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      entry.on('end', () => {
        entries.push({ name: header.name, type: String(header.type), mode: header.mode ?? 0, uid: header.uid ?? 0, gid: header.gid ?? 0, content: Buffer.concat(chunks).toString('utf8') });
        next();
      });
    });
    extract.on('finish', () => resolve(entries));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

const LONG = `node_modules/${'very-long-package-name/'.repeat(12)}lib`;

function sourceTar(): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'server.js', mode: 0o664 }, 'console.log(1)');
  pack.entry({ name: 'docs/', type: 'directory', mode: 0o775 });
  pack.entry({ name: 'docs/big.psd', mode: 0o664 }, 'huge');
  pack.entry({ name: 'docs/keep.md', mode: 0o664 }, 'kept');
  pack.entry({ name: 'deep/er/x.sh', mode: 0o775 }, '#!/bin/sh');
  pack.entry({ name: 'link', type: 'symlink', linkname: 'server.js' });
  pack.entry({ name: `${LONG}/file.txt`, mode: 0o644 }, 'long');
  pack.finalize();
  return pack as unknown as Readable;
}

describe('builder: the buildpack builder\'s pure parts', () => {
  describe('built-in buildpacks', () => {
    it('orders detection: languages, Node.js after them, other built-ins by name, then the catch-alls', () => {
      expect(detectionOrder(['static', 'nodejs', 'python', 'zeta', 'procfile', 'go', 'alpha', 'ruby', 'php', 'java']))
        .to.deep.equal(['ruby', 'php', 'python', 'java', 'go', 'nodejs', 'alpha', 'zeta', 'static', 'procfile']);
      expect(detectionOrder(['nodejs'])).to.deep.equal(['nodejs']);
      expect(detectionOrder([])).to.deep.equal([]);
    });

    it('lists what is supported, a root Dockerfile and Node.js first', () => {
      expect(supportedList(['python', 'nodejs', 'static'])).to.deep.equal([
        'a Dockerfile at the root', 'Node.js (package.json)', 'Python (requirements.txt, pyproject.toml, Pipfile or runtime.txt)',
        'a static site (index.html, static.json or .static)',
      ]);
      expect(nothingDetectedMessage(['nodejs'])).to.match(/^No buildpack detected this app\. Supported: a Dockerfile at the root; Node\.js \(package\.json\)\. Or choose buildpacks yourself: slipway buildpacks:set/);
      expect(supportedList(['custom'])).to.deep.equal(['a Dockerfile at the root', 'custom (buildpacks/custom)']);
    });

    it('finds the folders that are buildpacks (executable bin/detect and bin/compile) and checks references', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-builtins-'));
      try {
        for (const [name, scripts] of [['nodejs', ['detect', 'compile']], ['python', ['detect', 'compile', 'release']], ['half', ['detect']]] as const) {
          fs.mkdirSync(path.join(dir, name, 'bin'), { recursive: true });
          for (const script of scripts) fs.writeFileSync(path.join(dir, name, 'bin', script), '#!/bin/sh\n', { mode: 0o755 });
        }
        fs.writeFileSync(path.join(dir, 'README.md'), 'not a buildpack');
        expect(builtinBuildpacks(dir)).to.deep.equal(['python', 'nodejs']);
        expect(builtinBuildpacks(path.join(dir, 'missing'))).to.deep.equal([]);
        const check = buildpackCheck(dir);
        expect(check({ kind: 'builtin', name: 'nodejs' })).to.equal(null);
        expect(check({ kind: 'builtin', name: 'half' })).to.include('There is no built-in buildpack "half". Built-in: nodejs, python');
        expect(check({ kind: 'path', path: path.join(dir, 'python') })).to.equal(null);
        expect(check({ kind: 'path', path: path.join(dir, 'half') })).to.include('is not a buildpack');
        expect(check({ kind: 'path', path: path.join(dir, 'nowhere') })).to.include('does not exist on the Slipway host');
        expect(check({ kind: 'git' })).to.equal(null);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('adds the app user (uid 1000, HOME given) to passwd and group unless uid 1000 is there', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
    const group = 'root:x:0:\nnogroup:x:65534:';
    expect(withAppUser(passwd, group, '/app')).to.deep.equal({
      passwd: `${passwd}app:x:1000:1000:Slipway app:/app:/bin/bash\n`,
      group: 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\n',
    });
    const already = withAppUser('u:x:1000:1000::/home/u:/bin/sh\n', 'g:x:1000:\n', '/app');
    expect(already).to.deep.equal({ passwd: 'u:x:1000:1000::/home/u:/bin/sh\n', group: 'g:x:1000:\n' });
    expect(APP_USER).to.deep.equal({ name: 'app', uid: 1000, gid: 1000 });
  });

  it('moves the source under app/, owned by the app user, leaving out what .slugignore drops', async () => {
    const entries = await readTar(relocateTar(sourceTar(), {
      prefix: 'app', uid: 1000, gid: 1000, drop: (name) => name.endsWith('.psd'),
    }));
    expect(entries.map((e) => [e.name, e.type, e.uid, e.gid])).to.deep.equal([
      ['app/', 'directory', 1000, 1000],
      ['app/server.js', 'file', 1000, 1000],
      ['app/docs/', 'directory', 1000, 1000],
      ['app/docs/keep.md', 'file', 1000, 1000],
      ['app/deep/', 'directory', 1000, 1000],
      ['app/deep/er/', 'directory', 1000, 1000],
      ['app/deep/er/x.sh', 'file', 1000, 1000],
      ['app/link', 'symlink', 1000, 1000],
      ...LONG.split('/').map((_part, i, all) => [`app/${all.slice(0, i + 1).join('/')}/`, 'directory', 1000, 1000]),
      [`app/${LONG}/file.txt`, 'file', 1000, 1000],
    ]);
    expect(entries.find((e) => e.name === 'app/deep/er/x.sh')!.mode).to.equal(0o775);
    expect(entries.find((e) => e.name === 'app/server.js')!.content).to.equal('console.log(1)');
  });

  it('writes ENV_DIR owned by the app user', async () => {
    const entries = await readTar(filesTar('env', { A: '1' }, { uid: 1000, gid: 1000 }));
    expect(entries.map((e) => [e.name, e.uid, e.mode])).to.deep.equal([['env/', 1000, 0o755], ['env/A', 1000, 0o600]]);
  });

  it('names caches after the app, so none is shared', () => {
    expect(cacheVolumeName('shop')).to.equal('slipway-cache-shop');
    expect(runtimeBaseRepository('shop')).to.equal('slipway-runtime/shop');
  });

  it('describes the time limit and sizes in words', () => {
    expect(describeDuration(900_000)).to.equal('15 minutes');
    expect(describeDuration(60_000)).to.equal('1 minute');
    expect(describeDuration(90_000)).to.equal('90 seconds');
    expect(describeDuration(1000)).to.equal('1 second');
    expect(timeoutMessage(900_000)).to.equal('The build ran longer than 15 minutes and was stopped (the limit is SLIPWAY_BUILD_TIMEOUT=900 seconds).');
    expect(formatBytes(512)).to.equal('512 B');
    expect(formatBytes(2048)).to.equal('2.0 KB');
    expect(formatBytes(152.34 * 1024 * 1024)).to.equal('152.3 MB');
    expect(formatBytes(3 * 1024 ** 3)).to.equal('3.00 GB');
  });

  it('accepts Docker image references and refuses others', () => {
    for (const ref of ['nginx', 'team/app:1.2', '127.0.0.1:5000/shop:mwsjsz-04131c', `127.0.0.1:5000/shop@sha256:${'a'.repeat(64)}`, 'my-host.local:5000/a/b/c:latest']) {
      expect(parseImageReference(ref), ref).to.equal(ref);
    }
    for (const bad of ['', 'UPPER/case', 'a b', '-rm', 'app:', 'app@sha256:123', 42]) {
      expect(() => parseImageReference(bad), String(bad)).to.throw(SlipwayError);
    }
    expect(imageDeployDescription('127.0.0.1:5000/shop:v1')).to.equal('Deploy image 127.0.0.1:5000/shop:v1');
  });
});
