/** `buildpacks*`, `repo:*` and `deploy --image`: the service's index rules, the CLI's requests and output. */
import { expect } from 'chai';
import { ApiClient } from '../../../cli/api-client';
import type { AppBuildpack } from '../../../cli/api-types';
import { CliError } from '../../../cli/cli-error';
import {
  buildpackList, buildpacksAdd, buildpacksRemove, buildpacksSet, cacheSummary, deployImage, humanBytes, nextReleaseLine, parseIndex, repoPurgeCache,
} from '../../../cli/commands-buildpacks';
import type { CommandContext } from '../../../cli/commands';
import { BuildpacksService } from '../../../engine/buildpacks-service';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';

function service(initial: string[] = [], check: (ref: { kind: string; name?: string }) => string | null = () => null) {
  let list = [...initial];
  const apps = { get: async (name: string) => ({ id: 7, name, config: {}, currentRelease: null, createdAt: new Date() }) } as unknown as AppsRepo;
  const store = {
    list: async () => [...list],
    update: async (_id: number, change: (current: string[]) => readonly string[]) => {
      list = [...change([...list])];
      return [...list];
    },
  };
  return { service: new BuildpacksService(apps, store, check, silentLogger()), current: () => list };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).to.be.instanceOf(SlipwayError);
  return (error as Error).message;
}

describe('buildpacks per app', () => {
  describe('BuildpacksService (Heroku\'s index rules, 1-based)', () => {
    it('set replaces the first buildpack by default, or the one at --index, and appends one past the end', async () => {
      const { service: s, current } = service();
      await s.set('shop', 'nodejs');
      expect(current()).to.deep.equal(['nodejs']);
      await s.set('shop', 'python');
      expect(current()).to.deep.equal(['python']);
      await s.set('shop', 'https://git.example.com/apt.git', 2);
      expect(current()).to.deep.equal(['python', 'https://git.example.com/apt.git']);
      await s.set('shop', 'ruby', 1);
      expect(current()).to.deep.equal(['ruby', 'https://git.example.com/apt.git']);
      expect(await refusal(s.set('shop', 'go', 4))).to.include('The index must be a whole number from 1 to 3 (got 4)');
    });

    it('add appends, or inserts at --index; remove takes one out; clear empties the list', async () => {
      const { service: s, current } = service(['nodejs']);
      await s.add('shop', 'python');
      await s.add('shop', '/opt/bp/first', 1);
      expect(current()).to.deep.equal(['/opt/bp/first', 'nodejs', 'python']);
      const listed = await s.remove('shop', 2);
      expect(listed).to.deep.equal([
        { index: 1, buildpack: '/opt/bp/first', kind: 'path' },
        { index: 2, buildpack: 'python', kind: 'builtin' },
      ]);
      expect(await refusal(s.remove('shop', 3))).to.include('from 1 to 2');
      expect(await s.clear('shop')).to.deep.equal([]);
      expect(await refusal(s.remove('shop', 1))).to.include('has no buildpacks set');
    });

    it('refuses duplicates, bad references and what the host check refuses, changing nothing', async () => {
      const { service: s, current } = service(['nodejs'], (ref) => (ref.kind === 'builtin' && ref.name === 'cobol' ? 'There is no built-in buildpack "cobol".' : null));
      expect(await refusal(s.add('shop', 'nodejs'))).to.include('already set on this app');
      expect(await refusal(s.add('shop', 'cobol'))).to.equal('There is no built-in buildpack "cobol".');
      expect(await refusal(s.add('shop', 'ftp://x/y.tgz'))).to.include('is not a buildpack');
      expect(await refusal(s.add('shop', 42))).to.include('Give a buildpack');
      expect(current()).to.deep.equal(['nodejs']);
    });

    it('replace sets the whole list at once, and lists URLs with their password masked', async () => {
      const { service: s } = service();
      expect(await s.replace('shop', ['https://me:pw@git.example.com/bp.git#v1', 'nodejs'])).to.deep.equal([
        { index: 1, buildpack: 'https://me:***@git.example.com/bp.git#v1', kind: 'git' },
        { index: 2, buildpack: 'nodejs', kind: 'builtin' },
      ]);
      expect(await refusal(s.replace('shop', ['nodejs', 'nodejs']))).to.include('already set');
      expect(await refusal(s.replace('shop', 'nodejs'))).to.include('Give the list');
    });
  });

  describe('the CLI', () => {
    const list: AppBuildpack[] = [
      { index: 1, buildpack: 'https://files.example.com/apt.tgz', kind: 'tarball' },
      { index: 2, buildpack: 'nodejs', kind: 'builtin' },
    ];

    function context(answers: Record<string, unknown>): { ctx: CommandContext; out: string[]; sent: Array<{ method: string; path: string; body: unknown }> } {
      const out: string[] = [];
      const sent: Array<{ method: string; path: string; body: unknown }> = [];
      const client = new ApiClient({
        apiUrl: 'http://127.0.0.1:1', token: 't',
        fetch: async (url, init) => {
          const path = url.replace('http://127.0.0.1:1/api/v1', '');
          sent.push({ method: init?.method ?? 'GET', path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
          const answer = answers[`${init?.method ?? 'GET'} ${path}`];
          return answer === undefined ? new Response(null, { status: 204 }) : new Response(JSON.stringify(answer), { status: 200 });
        },
      });
      return { ctx: { client: () => client, out: (t) => out.push(t), color: false, now: () => new Date(0), cwd: '/', homeDir: '/' }, out, sent };
    }

    it('buildpacks:set and buildpacks:add send the buildpack and the index, and say what the next release uses', async () => {
      const { ctx, out, sent } = context({ 'PUT /apps/shop/buildpacks/2': list, 'POST /apps/shop/buildpacks': list });
      await buildpacksSet(ctx, 'shop', 'nodejs', { index: '2' });
      await buildpacksAdd(ctx, 'shop', 'https://files.example.com/apt.tgz', { index: '1' });
      expect(sent).to.deep.equal([
        { method: 'PUT', path: '/apps/shop/buildpacks/2', body: { buildpack: 'nodejs' } },
        { method: 'POST', path: '/apps/shop/buildpacks', body: { buildpack: 'https://files.example.com/apt.tgz', index: 1 } },
      ]);
      expect(out[0]).to.equal('Buildpack set. Next release on shop will use:\n  1. https://files.example.com/apt.tgz\n  2. nodejs');
      expect(out[2]).to.match(/^Buildpack added\./);
    });

    it('buildpacks:remove finds the index of a buildpack given by value', async () => {
      const { ctx, sent, out } = context({ 'GET /apps/shop/buildpacks': list, 'DELETE /apps/shop/buildpacks/2': [list[0]] });
      await buildpacksRemove(ctx, 'shop', 'nodejs', {});
      expect(sent.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /apps/shop/buildpacks', 'DELETE /apps/shop/buildpacks/2']);
      expect(out[0]).to.equal('Buildpack removed. Next release on shop will use https://files.example.com/apt.tgz.');
      const missing = await buildpacksRemove(ctx, 'shop', 'python', {}).catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(CliError);
      expect((missing as Error).message).to.include('python is not set on shop');
    });

    it('repo:purge-cache and deploy --image call the API and report', async () => {
      const deployed = {
        build: { id: 'b1', status: 'succeeded', commit: '', image: '127.0.0.1:5000/shop:b1', digest: 'sha256:abc', processTypes: {}, durationMs: 1, imageSize: 150 * 1024 * 1024, createdAt: '' },
        release: { version: 4, description: 'Deploy image x', status: 'succeeded', current: true, buildId: 'b1', commit: null, failureReason: null, createdAt: '' },
      };
      const { ctx, sent, out } = context({ 'POST /apps/shop/builds': deployed });
      await repoPurgeCache(ctx, 'shop');
      await deployImage(ctx, 'shop', { image: '127.0.0.1:5000/other:v1' });
      expect(sent).to.deep.equal([
        { method: 'DELETE', path: '/apps/shop/build-cache', body: undefined },
        { method: 'POST', path: '/apps/shop/builds', body: { image: '127.0.0.1:5000/other:v1' } },
      ]);
      expect(out).to.deep.equal([
        'Purging the build cache of shop... done',
        'The next build starts from scratch.',
        'Deploying 127.0.0.1:5000/other:v1 to shop... done, v4\nImage: 127.0.0.1:5000/shop:b1 @ sha256:abc (150.0 MB)',
      ]);
    });

    it('formats lists, cache sizes and indexes', () => {
      expect(buildpackList('shop', [], false)).to.include('shop has no buildpacks set');
      expect(buildpackList('shop', [list[1]!], false)).to.equal('=== shop Buildpack\nnodejs');
      expect(buildpackList('shop', list, false)).to.equal('=== shop Buildpacks\n1. https://files.example.com/apt.tgz\n2. nodejs');
      expect(nextReleaseLine('shop', [])).to.include('will detect its buildpack');
      expect(cacheSummary('shop', { volume: 'slipway-cache-shop', exists: true, volumeBytes: 3 * 1024 * 1024, runtimeLayerBytes: 1024, sizeBytes: 3 * 1024 * 1024 + 1024 }, false))
        .to.equal('=== shop Build cache\nSize:           3.0 MB\nCache volume:   slipway-cache-shop (3.0 MB)\nRuntime layers: 1.0 KB\nClear it with:  slipway repo:purge-cache shop');
      expect(cacheSummary('shop', { volume: 'v', exists: false, volumeBytes: 0, runtimeLayerBytes: 0, sizeBytes: 0 }, false)).to.include('has no build cache');
      expect(humanBytes(10)).to.equal('10 B');
      expect(humanBytes(5 * 1024 ** 3)).to.equal('5.0 GB');
      expect(parseIndex(undefined)).to.equal(undefined);
      expect(parseIndex('3')).to.equal(3);
      expect(() => parseIndex('0')).to.throw(CliError, '--index must be a whole number from 1');
      expect(() => parseIndex('x')).to.throw(CliError);
    });
  });
});
