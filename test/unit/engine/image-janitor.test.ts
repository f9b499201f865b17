import { expect } from 'chai';
import { imageRepository, ImageJanitor, type HostImages, type RegistryApi } from '../../../engine/image-janitor';
import { SlipwayError } from '../../../lib/errors';

/** A registry in memory: repository → tag → digest, digest → blobs. Records deletes. */
class FakeRegistry implements RegistryApi {
  readonly deleted: string[] = [];
  failTags = false;
  constructor(readonly repos: Map<string, Map<string, string>>, readonly blobsOf: Map<string, Array<{ digest: string; size: number }>>) {}
  async repositories(): Promise<string[]> { return [...this.repos.keys()]; }
  async tags(repository: string): Promise<string[]> {
    if (this.failTags) throw new SlipwayError('registry_unavailable', 'The registry at http://r does not answer (ECONNREFUSED).');
    return [...(this.repos.get(repository)?.keys() ?? [])];
  }
  async digest(repository: string, tag: string): Promise<string | null> { return this.repos.get(repository)?.get(tag) ?? null; }
  async blobs(repository: string, reference: string): Promise<Array<{ digest: string; size: number }>> {
    const digest = this.repos.get(repository)?.get(reference) ?? reference;
    return this.blobsOf.get(digest) ?? [];
  }
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const tags = this.repos.get(repository);
    if (!tags) return false;
    let found = false;
    for (const [tag, d] of [...tags]) if (d === digest) { tags.delete(tag); found = true; }
    if (found) this.deleted.push(`${repository}@${digest}`);
    return found;
  }
}

class FakeHost implements HostImages {
  readonly removed: string[] = [];
  constructor(readonly images: Map<string, string[]>, readonly stuck = new Set<string>()) {}
  async list(repository: string): Promise<string[]> { return this.images.get(repository) ?? []; }
  async remove(id: string): Promise<boolean> {
    if (this.stuck.has(id)) throw new Error('conflict: image is in use');
    this.removed.push(id);
    return true;
  }
}

const quiet = { warn: () => undefined, info: () => undefined };

function setup() {
  const registry = new FakeRegistry(
    new Map([
      ['shop', new Map([['b1', 'sha256:m1'], ['b2', 'sha256:m2'], ['deployed', 'sha256:m2']])],
      ['shop-admin', new Map([['b1', 'sha256:m3']])],
    ]),
    new Map([
      ['sha256:m1', [{ digest: 'sha256:base', size: 1000 }, { digest: 'sha256:app1', size: 10 }]],
      ['sha256:m2', [{ digest: 'sha256:base', size: 1000 }, { digest: 'sha256:app2', size: 20 }]],
      ['sha256:m3', [{ digest: 'sha256:base', size: 1000 }, { digest: 'sha256:admin', size: 5 }]],
    ]),
  );
  const host = new FakeHost(new Map([['127.0.0.1:5000/shop', ['sha256:i1', 'sha256:i2']], ['127.0.0.1:5000/shop-admin', ['sha256:i3']]]));
  return { registry, host, janitor: new ImageJanitor(registry, host, '127.0.0.1:5000', quiet) };
}

describe('engine/image-janitor ImageJanitor', () => {
  it('deletes every manifest of the app once (tags sharing one are one delete) and its images on the host', async () => {
    const { registry, host, janitor } = setup();
    const cleanup = await janitor.deleteAppImages('shop');
    expect(cleanup).to.deep.equal({ manifests: 2, hostImages: 2, problems: [] });
    expect(registry.deleted).to.deep.equal(['shop@sha256:m1', 'shop@sha256:m2']);
    expect(host.removed).to.deep.equal(['sha256:i1', 'sha256:i2']);
  });

  it('leaves another app alone, even one whose name starts with the same letters', async () => {
    const { registry, host, janitor } = setup();
    await janitor.deleteAppImages('shop');
    expect([...registry.repos.get('shop-admin')!.keys()]).to.deep.equal(['b1']);
    expect(host.removed).to.not.include('sha256:i3');
  });

  it('never throws: a registry that does not answer still lets the host be cleaned, and says what was left', async () => {
    const { registry, host, janitor } = setup();
    registry.failTags = true;
    const cleanup = await janitor.deleteAppImages('shop');
    expect(cleanup.hostImages).to.equal(2);
    expect(cleanup.problems).to.deep.equal(['registry: The registry at http://r does not answer (ECONNREFUSED).']);
    expect(host.removed).to.have.length(2);
  });

  it('goes on past an image the host cannot remove', async () => {
    const { registry } = setup();
    const host = new FakeHost(new Map([['127.0.0.1:5000/shop', ['sha256:i1', 'sha256:i2']]]), new Set(['sha256:i1']));
    const cleanup = await new ImageJanitor(registry, host, '127.0.0.1:5000', quiet).deleteAppImages('shop');
    expect(cleanup.hostImages).to.equal(1);
    expect(cleanup.problems).to.have.length(1);
    expect(cleanup.problems[0]).to.match(/sha256:i1.*in use/);
  });

  it('measures the registry: repositories, tagged images, and each distinct blob once', async () => {
    const { janitor } = setup();
    expect(await janitor.registryInfo()).to.deep.equal({
      registry: '127.0.0.1:5000', repositories: 2, images: 4, blobs: 4, bytes: 1000 + 10 + 20 + 5,
    });
  });
});

describe('engine/image-janitor imageRepository', () => {
  it('reads the repository of an image Slipway built, by tag or digest, and ignores images of other registries', () => {
    expect(imageRepository('127.0.0.1:5000/shop:12', '127.0.0.1:5000')).to.equal('shop');
    expect(imageRepository('127.0.0.1:5000/old-name@sha256:abc', '127.0.0.1:5000')).to.equal('old-name');
    expect(imageRepository('127.0.0.1:5000/shop', '127.0.0.1:5000')).to.equal('shop');
    expect(imageRepository('127.0.0.1:50000/shop:1', '127.0.0.1:5000')).to.equal(null);
    expect(imageRepository('other.example/shop:1', '127.0.0.1:5000')).to.equal(null);
    expect(imageRepository(null, '127.0.0.1:5000')).to.equal(null);
  });
});
