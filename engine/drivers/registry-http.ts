/**
 * The Docker Registry HTTP API v2, the part Slipway needs to clean up and measure: list
 * repositories and tags, resolve a tag to its manifest digest, read a manifest, delete one by
 * digest. Works with any Distribution-compatible registry without auth (Slipway's own on
 * 127.0.0.1); a registry with deletes disabled answers 405, reported as such.
 */
import { SlipwayError } from '../../lib/errors';
import type { RegistryApi } from '../image-janitor';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

type Fetch = typeof fetch;

export class HttpRegistry implements RegistryApi {
  private readonly base: string;

  /** `address` is host:port as in SLIPWAY_REGISTRY (plain HTTP, as Docker uses for 127.0.0.1), or a URL. */
  constructor(address: string, private readonly fetchImpl: Fetch = fetch) {
    this.base = /^https?:\/\//.test(address) ? address.replace(/\/+$/, '') : `http://${address}`;
  }

  async repositories(): Promise<string[]> {
    const names: string[] = [];
    let next: string | null = '/v2/_catalog?n=1000';
    while (next) {
      const response = await this.request('GET', next);
      const body = (await response.json()) as { repositories?: string[] | null };
      names.push(...(body.repositories ?? []));
      next = nextLink(response.headers.get('link'));
    }
    return names;
  }

  async tags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | null = `/v2/${repository}/tags/list?n=1000`;
    while (next) {
      const response = await this.request('GET', next, { notFound: true });
      if (response.status === 404) return [];
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      next = nextLink(response.headers.get('link'));
    }
    return tags;
  }

  async digest(repository: string, tag: string): Promise<string | null> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { notFound: true });
    if (response.status === 404) return null;
    const digest = response.headers.get('docker-content-digest');
    if (!digest) throw new Error(`the registry at ${this.base} gave no Docker-Content-Digest for ${repository}:${tag}`);
    return digest;
  }

  async blobs(repository: string, reference: string): Promise<Array<{ digest: string; size: number }>> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${encodeURIComponent(reference)}`, { notFound: true });
    if (response.status === 404) return [];
    const manifest = (await response.json()) as {
      config?: { digest: string; size: number };
      layers?: Array<{ digest: string; size: number }>;
      manifests?: Array<{ digest: string; size: number }>;
    };
    if (manifest.manifests) {
      // An index (several platforms): what each of its manifests references, and the manifests themselves.
      const children = await Promise.all(manifest.manifests.map((m) => this.blobs(repository, m.digest)));
      return [...manifest.manifests.map(({ digest, size }) => ({ digest, size })), ...children.flat()];
    }
    return [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])].map(({ digest, size }) => ({ digest, size }));
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`, { notFound: true, methodNotAllowed: true });
    if (response.status === 405) {
      throw new SlipwayError('registry_delete_disabled',
        `The registry at ${this.base} refuses deletes. Enable them in its configuration (storage: delete: enabled: true; scripts/start-services does) and restart it.`);
    }
    return response.status !== 404;
  }

  private async request(method: string, route: string, allow: { notFound?: boolean; methodNotAllowed?: boolean } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${route}`, { method, headers: { accept: MANIFEST_TYPES } });
    } catch (error) {
      throw new SlipwayError('registry_unavailable',
        `The registry at ${this.base} does not answer (${(error as Error).message}). Start it (scripts/start-services) or check SLIPWAY_REGISTRY.`, { cause: error });
    }
    if (response.ok || (allow.notFound && response.status === 404) || (allow.methodNotAllowed && response.status === 405)) return response;
    const text = await response.text().catch(() => '');
    throw new SlipwayError('registry_unavailable',
      `The registry at ${this.base} answered ${response.status} to ${method} ${route}: ${text.slice(0, 200).trim() || response.statusText}`);
  }
}

/** The next page of a paginated answer, from its Link header (`</v2/_catalog?last=x&n=1000>; rel="next"`). */
export function nextLink(header: string | null): string | null {
  const match = header ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(header) : null;
  if (!match) return null;
  const url = match[1];
  return url.startsWith('/') ? url : new URL(url).pathname + new URL(url).search;
}
