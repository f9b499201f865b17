/**
 * The image janitor against the real registry (scripts/start-services, deletes enabled) and
 * dockerd: images pushed as builds push them are deleted from both, another app's are not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { followProgress } from '../../../builder/docker-streams';
import { pushImage } from '../../../builder/registry';
import { createImageJanitor } from '../../../engine/drivers/docker-images';
import { HttpRegistry } from '../../../engine/drivers/registry-http';
import { freePort, REPO_ROOT, run, uniqueName } from '../../support/slipway';
import { waitFor } from './wait-for';

const REGISTRY = process.env.SLIPWAY_REGISTRY || '127.0.0.1:5000';
const quiet = { warn: () => undefined, info: () => undefined };

/** Builds a one-file image FROM scratch (nothing to pull) and tags it. */
async function tinyImage(docker: Docker, tag: string, content: string): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM scratch\nCOPY build.txt /build.txt\n');
  pack.entry({ name: 'build.txt' }, content);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  let failure: string | null = null;
  await followProgress(docker, stream, (event) => { if (typeof event.error === 'string') failure = event.error; });
  if (failure) throw new Error(failure);
}

describe('engine/image-janitor against the registry and dockerd', function () {
  this.timeout(120_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  const registry = new HttpRegistry(REGISTRY);
  const janitor = createImageJanitor(docker, REGISTRY, quiet);
  const app = uniqueName('jan');
  const neighbour = `${app}-next`; // same prefix: must survive

  before(async () => {
    for (const [repo, build] of [[app, 'b1'], [app, 'b2'], [neighbour, 'b1']] as const) {
      const tag = `${REGISTRY}/${repo}:${build}`;
      await tinyImage(docker, tag, `${repo} ${build} ${Date.now()}\n`);
      await pushImage(docker, tag);
    }
    // An image deploy tags a build a second time: one manifest, two tags.
    await docker.getImage(`${REGISTRY}/${app}:b2`).tag({ repo: `${REGISTRY}/${app}`, tag: 'deployed' });
    await pushImage(docker, `${REGISTRY}/${app}:deployed`);
  });

  after(async () => {
    await janitor.deleteAppImages(neighbour);
  });

  it('shows the pushed images in the registry\'s size', async () => {
    const info = await janitor.registryInfo();
    expect(info.registry).to.equal(REGISTRY);
    expect(info.images).to.be.at.least(4);
    expect(info.bytes).to.be.above(0);
    expect(await registry.tags(app)).to.have.members(['b1', 'b2', 'deployed']);
  });

  it('deletes the app\'s manifests from the registry and its images from the Docker host, and nothing else', async () => {
    const cleanup = await janitor.deleteAppImages(app);
    expect(cleanup).to.deep.equal({ manifests: 2, hostImages: 2, problems: [] });
    expect(await registry.tags(app)).to.deep.equal([]);
    expect(await registry.digest(app, 'b1')).to.equal(null);
    expect(await docker.listImages({ filters: { reference: [`${REGISTRY}/${app}`] } })).to.deep.equal([]);
    // The neighbour with the same prefix keeps everything.
    expect(await registry.tags(neighbour)).to.deep.equal(['b1']);
    expect(await docker.listImages({ filters: { reference: [`${REGISTRY}/${neighbour}`] } })).to.have.length(1);
  });

  it('finds nothing to delete the second time, without error', async () => {
    expect(await janitor.deleteAppImages(app)).to.deep.equal({ manifests: 0, hostImages: 0, problems: [] });
  });
});

describe('scripts/gc on a registry of its own', function () {
  this.timeout(180_000);
  const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
  let stateDir: string;
  let address: string;
  let server: ChildProcess;

  /** The blob files the registry keeps on disk. */
  const blobFiles = (): string[] => {
    const root = path.join(stateDir, 'registry/docker/registry/v2/blobs');
    return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('/data')) : [];
  };

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-gc-'));
    address = `127.0.0.1:${await freePort()}`;
    // The configuration scripts/start-services writes, on another port and directory.
    fs.writeFileSync(path.join(stateDir, 'registry.yml'), [
      'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${stateDir}/registry`,
      '  delete:', '    enabled: true', 'http:', `  addr: ${address}`, '',
    ].join('\n'));
    server = spawn('docker-registry', ['serve', path.join(stateDir, 'registry.yml')], { stdio: 'ignore' });
    await waitFor('the registry to answer', async () => (await fetch(`http://${address}/v2/`).catch(() => null))?.ok);
  });

  after(async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('frees the layers of a destroyed app\'s images, and keeps those still referenced', async () => {
    const app = uniqueName('gc');
    const kept = `${app}-kept`;
    for (const repo of [app, kept]) {
      await tinyImage(docker, `${address}/${repo}:b1`, `${repo} ${Date.now()}\n`);
      await pushImage(docker, `${address}/${repo}:b1`);
    }
    const before = blobFiles();
    const janitor = createImageJanitor(docker, address, quiet);
    expect(await janitor.deleteAppImages(app)).to.deep.equal({ manifests: 1, hostImages: 1, problems: [] });
    expect(blobFiles()).to.deep.equal(before); // deleting a manifest frees no disk by itself

    const gc = await run('bash', [path.join(REPO_ROOT, 'scripts/gc'), '--force', '--registry-only'], {
      env: { ...process.env, SLIPWAY_STATE_DIR: stateDir, SLIPWAY_REGISTRY: address },
    });
    expect(gc.code, gc.output).to.equal(0);
    expect(gc.output).to.match(/[1-9]\d* blob\(s\) deleted, \d+ MB freed/);
    const after = blobFiles();
    expect(after.length).to.be.below(before.length);
    // The other app's image is whole: the registry still serves its manifest and layers.
    const registry = new HttpRegistry(address);
    const digest = await registry.digest(kept, 'b1');
    expect(digest).to.be.a('string');
    for (const blob of await registry.blobs(kept, digest!)) {
      expect((await fetch(`http://${address}/v2/${kept}/blobs/${blob.digest}`, { method: 'HEAD' })).status).to.equal(200);
    }
    await janitor.deleteAppImages(kept);
  });
});
