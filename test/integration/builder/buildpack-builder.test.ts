/**
 * The buildpack builder against the real dockerd: what a build container can and cannot do
 * (unprivileged, no capabilities, limits, no Docker socket, only the workspace, the cache and
 * read-only buildpacks), and the image it makes (runs as the app user, owns /app).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { BuildpackBuilder, cacheVolumeName } from '../../../builder/buildpack-builder';
import { DockerBuildCaches } from '../../../builder/build-caches';
import { demultiplex } from '../../../engine/drivers/docker-driver';
import { loadConfig } from '../../../lib/config';
import { run, uniqueName } from '../../support/slipway';

const PROBE_COMPILE = `#!/bin/bash
# Records what the build container lets a buildpack see and do.
set -u
out="$1/.probe"; mkdir -p "$out"
id -u > "$out/uid"; id -g > "$out/gid"; echo "$HOME" > "$out/home"
getent passwd "$(id -u)" | cut -d: -f1,6 > "$out/passwd"
grep CapEff /proc/self/status | awk '{print $2}' > "$out/capeff"
grep NoNewPrivs /proc/self/status | awk '{print $2}' > "$out/nonewprivs"
[ -e /var/run/docker.sock ] && echo yes > "$out/docker-sock" || echo no > "$out/docker-sock"
cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null > "$out/memory" || cat /sys/fs/cgroup/memory.max > "$out/memory"
cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null > "$out/cpu" || cut -d' ' -f1 /sys/fs/cgroup/cpu.max > "$out/cpu"
# Host paths bind-mounted in (the workspace is copied in, not mounted).
awk '$4 != "/" && $5 !~ /^\\/(proc|sys|dev)/ && $5 !~ /^\\/etc\\/(hosts|hostname|resolv.conf)$/ {print $5}' /proc/self/mountinfo | sort > "$out/mounts"
touch /cache/probe-was-here && echo yes > "$out/cache-writable" || echo no > "$out/cache-writable"
touch "$(dirname "$0")/../written" 2>/dev/null && echo yes > "$out/own-copy-writable" || echo no > "$out/own-copy-writable"
touch /slipway/buildpacks/01/x 2>/dev/null && echo yes > "$out/mount-writable" || echo no > "$out/mount-writable"
stat -c '%u %a' "$3" > "$out/env-dir"; ls "$3" > "$out/env-names"
stat -c '%u' "$1" > "$out/app-owner"; stat -c '%u' "$1/source.txt" > "$out/source-owner"
echo "       probed"
`;

/**
 * A runtime as real buildpacks install one: kept in CACHE_DIR, copied into .heroku at every build
 * (fresh times, also of the directories), its file with one fixed mtime as files unpacked from npm
 * tarballs have, so a new runtime of the same size differs from the old one only in content.
 */
const RUNTIME_COMPILE = `#!/bin/bash
set -eu
mkdir -p "$2/rt"
printf '%s' "$(cat "$3/RUNTIME")" > "$2/rt/lib.txt"
touch -d @1 "$2/rt/lib.txt"
rm -rf "$1/.heroku" && mkdir -p "$1/.heroku/rt"
cp -p "$2/rt/lib.txt" "$1/.heroku/rt/lib.txt"
`;

describe('builder/buildpack-builder against dockerd', function () {
  const docker = new Docker({ socketPath: loadConfig().dockerSocket });
  const app = uniqueName('bpb');
  let root: string;
  let repo: string;
  let commit: string;
  let builder: BuildpackBuilder;
  const tag = `slipway-test/${app}:probe`;
  let output = '';

  before(async function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bpb-'));
    const bp = path.join(root, 'buildpacks', 'probe', 'bin');
    fs.mkdirSync(bp, { recursive: true });
    fs.writeFileSync(path.join(bp, 'detect'), '#!/bin/sh\n[ -f "$1/source.txt" ] && echo Probe\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bp, 'compile'), PROBE_COMPILE, { mode: 0o755 });
    fs.writeFileSync(path.join(bp, 'release'), '#!/bin/sh\nprintf -- "---\\ndefault_process_types:\\n  web: cat .probe/uid\\n"\n', { mode: 0o755 });
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'source.txt'), 'hello\n');
    const env = { GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' };
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'probe']]) expect((await run('git', args, { cwd: src, env })).code).to.equal(0);
    repo = path.join(root, 'repo.git');
    expect((await run('git', ['clone', '-q', '--bare', src, repo])).code).to.equal(0);
    commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: src })).stdout.trim();
    const config = loadConfig();
    builder = new BuildpackBuilder(docker, {
      buildpacksDir: path.join(root, 'buildpacks'),
      stackBuildImage: config.stackBuildImage,
      stackRunImage: config.stackRunImage,
      caBundle: null,
      npmRegistry: null,
      workRoot: path.join(root, 'work'),
      limits: { memoryMb: 300, cpus: 0.5 },
    });
  });

  after(async function () {
    for (const image of [tag, ...[1, 2, 3].map((n) => `${tag}-runtime${n}`)]) await docker.getImage(image).remove().catch(() => undefined);
    await new DockerBuildCaches(docker).remove(app);
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function runImage(cmd: string[], image = tag): Promise<string> {
    const container = await docker.createContainer({ Image: image, Cmd: cmd });
    try {
      await container.start();
      await container.wait();
      return demultiplex(await container.logs({ stdout: true, stderr: true }) as unknown as Buffer);
    } finally {
      await container.remove({ force: true });
    }
  }

  it('builds unprivileged, within limits, seeing only the workspace, the cache and read-only buildpacks', async function () {
    const built = await builder.build({
      app, buildId: 'probe1', repoPath: repo, commit, gitEnv: {}, config: { SECRET: 's', OTHER: 'o' }, tag,
      output: (text) => { output += text; }, signal: new AbortController().signal,
    });
    expect(output).to.include('-----> Probe app detected');
    expect(built.defaultProcessTypes).to.deep.equal({ web: 'cat .probe/uid' });
    expect(built.buildpacks).to.deep.equal(['Probe']);
    const probe = async (name: string): Promise<string> => (await runImage(['cat', `/app/.probe/${name}`])).trim();
    expect(await probe('uid')).to.equal('1000');
    expect(await probe('gid')).to.equal('1000');
    expect(await probe('home')).to.equal('/home/app');
    expect(await probe('passwd')).to.equal('app:/home/app');
    expect(await probe('capeff')).to.equal('0000000000000000');
    expect(await probe('nonewprivs')).to.equal('1');
    expect(await probe('docker-sock')).to.equal('no');
    expect(await probe('memory')).to.equal(String(300 * 1024 * 1024));
    expect(await probe('cpu')).to.equal('50000');
    expect((await probe('mounts')).split('\n')).to.deep.equal(['/cache', '/slipway/buildpacks/01', '/slipway/compile-slug']);
    expect(await probe('cache-writable')).to.equal('yes');
    expect(await probe('own-copy-writable')).to.equal('yes');
    expect(await probe('mount-writable')).to.equal('no');
    expect(await probe('env-dir')).to.equal('1000 755');
    expect((await probe('env-names')).split('\n')).to.deep.equal(['OTHER', 'SECRET']);
    expect(await probe('app-owner')).to.equal('1000');
    expect(await probe('source-owner')).to.equal('1000');
  });

  it('makes an image that runs as the app user, HOME=/app, owning /app', async function () {
    const image = await docker.getImage(tag).inspect();
    expect(image.Config.User).to.equal('1000:1000');
    expect(image.Config.WorkingDir).to.equal('/app');
    expect(image.Config.Cmd).to.deep.equal(['/usr/local/bin/slipway-launch', 'cat .probe/uid']);
    expect((await runImage(['bash', '-c', 'echo "$(id -u) $(id -un) $(stat -c %u /app) $(stat -c %u /app/source.txt)"'])).trim()).to.equal('1000 app 1000 1000');
    expect((await runImage(['/usr/local/bin/slipway-launch', 'echo "$HOME $(pwd) $(id -u)"'])).trim()).to.equal('/app /app 1000');
  });

  it('keeps the cache in the app\'s own volume, owned by the app user, and tells its size', async function () {
    const volume = await docker.getVolume(cacheVolumeName(app)).inspect();
    expect(volume.Labels).to.include({ 'slipway.app': app, 'slipway.cache-owner': '1000' });
    const caches = new DockerBuildCaches(docker, loadConfig().stackBuildImage, loadConfig().stackRunImage);
    const info = await caches.info(app);
    expect(info).to.include({ exists: true, volume: cacheVolumeName(app), runtimeLayerBytes: 0 });
    expect(info.volumeBytes).to.be.greaterThan(0);
    await caches.purge(app);
    expect(await caches.info(app)).to.include({ exists: false, sizeBytes: 0 });
  });

  it('keeps the runtime (.heroku) in a layer of its own, reused while its content is the same, whatever the times', async function () {
    fs.writeFileSync(path.join(root, 'buildpacks', 'probe', 'bin', 'compile'), RUNTIME_COMPILE, { mode: 0o755 });
    const build = async (n: number, runtime: string): Promise<string> => {
      let said = '';
      await builder.build({
        app, buildId: `runtime${n}`, repoPath: repo, commit, gitEnv: {}, config: { RUNTIME: runtime }, tag: `${tag}-runtime${n}`,
        output: (text) => { said += text; }, signal: new AbortController().signal,
      });
      return said;
    };
    expect(await build(1, 'aaaa')).to.not.include('Runtime layer unchanged');
    expect(await build(2, 'aaaa')).to.include('Runtime layer unchanged, reusing it');
    // Same size, same mtime, other bytes: a new runtime, never the stale layer.
    expect(await build(3, 'bbbb')).to.not.include('Runtime layer unchanged');
    expect(await runImage(['cat', '/app/.heroku/rt/lib.txt'], `${tag}-runtime3`)).to.equal('bbbb');
    // The runtime is in the image where the buildpack put it, still the app user's.
    expect((await runImage(['stat', '-c', '%u', '/app/.heroku', '/app/.heroku/rt/lib.txt'], `${tag}-runtime3`)).trim().split('\n')).to.deep.equal(['1000', '1000']);
  });

  it('stops the build container when the build runs out of time', async function () {
    fs.writeFileSync(path.join(root, 'buildpacks', 'probe', 'bin', 'compile'), '#!/bin/sh\necho "       sleeping"\nexec sleep 600\n', { mode: 0o755 });
    const controller = new AbortController();
    const reason = new Error('out of time');
    const started = Date.now();
    let said = '';
    const build = builder.build({
      app, buildId: 'probe2', repoPath: repo, commit, gitEnv: {}, config: {}, tag: `${tag}-2`,
      output: (text) => {
        said += text;
        if (said.includes('sleeping')) controller.abort(reason);
      },
      signal: controller.signal,
    });
    expect(await build.catch((e: unknown) => e)).to.equal(reason);
    expect(Date.now() - started).to.be.lessThan(60_000);
    const left = await docker.listContainers({ all: true, filters: { label: [`slipway.build=probe2`] } });
    expect(left).to.deep.equal([]);
  });
});
