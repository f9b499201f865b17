/**
 * Buildpacks set on an app, its build cache, and deploying an existing image
 * (docs/contracts/api.md, "Buildpacks, build cache and image deploys").
 */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import type { BuildpacksService } from '../../engine/buildpacks-service';
import type { BuildCacheInfo } from '../../builder/build-caches';
import type { ImageDeployResult } from '../../builder/image-deploy';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { ImageDeploySchema } from '../schemas/apps';
import { AppBuildpackSchema, BuildCacheSchema } from '../schemas/platform';
import { buildJson, releaseJson } from '../serializers';

export interface BuildpackRoutesDeps {
  buildpacks: BuildpacksService;
  buildCaches: { info(app: string): Promise<BuildCacheInfo>; purge(app: string): Promise<void> };
  /** Checks the app exists (the cache calls work on names). */
  appExists(app: string): Promise<void>;
  imageDeploys: { deploy(app: string, image: unknown): Promise<ImageDeployResult> };
}

const IndexParams = AppParams.extend({ index: z.string() });

function index(raw: string): number {
  if (!/^\d{1,4}$/.test(raw)) throw new SlipwayError('invalid_request', `"${raw}" is not a buildpack index: use 1, 2, …`);
  return Number(raw);
}

/** The buildpack service validates the values itself (its messages say what a buildpack may be). */
const Body = z.object({ buildpack: z.unknown(), buildpacks: z.unknown(), index: z.unknown(), image: z.unknown() }).partial().optional();
const List = z.array(AppBuildpackSchema);

export function buildpackRoutes(deps: BuildpackRoutesDeps): Route[] {
  const { buildpacks } = deps;
  const deploy = ({ params }: { params: { app: string } }) => ({ action: 'app:deploy' as const, app: params.app });
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/buildpacks', tag: 'builds', summary: 'The buildpacks set on the app, in order',
      params: AppParams, response: List,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => buildpacks.list(params.app),
    }),
    defineRoute({
      // {"buildpacks": ["nodejs", "https://…"]}: replaces the whole list ([] clears it).
      method: 'put', path: '/apps/:app/buildpacks', tag: 'builds', summary: 'Replace the app\'s buildpacks',
      params: AppParams, body: Body, response: List, audit: 'buildpacks.change', access: deploy,
      handler: async ({ params, body }) => buildpacks.replace(params.app, body?.buildpacks),
    }),
    defineRoute({
      // {"buildpack", "index"?}: inserts (default: at the end).
      method: 'post', path: '/apps/:app/buildpacks', tag: 'builds', summary: 'Add a buildpack',
      params: AppParams, body: Body, response: List, status: 201, audit: 'buildpacks.change', access: deploy,
      handler: async ({ params, body }) => buildpacks.add(params.app, body?.buildpack, body?.index),
    }),
    defineRoute({
      // {"buildpack"}: replaces the buildpack at :index (or appends it when :index is one past the end).
      method: 'put', path: '/apps/:app/buildpacks/:index', tag: 'builds', summary: 'Set the buildpack at an index',
      params: IndexParams, body: Body, response: List, audit: 'buildpacks.change', access: deploy,
      handler: async ({ params, body }) => buildpacks.set(params.app, body?.buildpack, index(params.index)),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/buildpacks/:index', tag: 'builds', summary: 'Remove the buildpack at an index',
      params: IndexParams, response: List, audit: 'buildpacks.change', access: deploy,
      handler: async ({ params }) => buildpacks.remove(params.app, index(params.index)),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/buildpacks', tag: 'builds', summary: 'Clear the app\'s buildpacks (detection decides again)',
      params: AppParams, response: List, audit: 'buildpacks.change', access: deploy,
      handler: async ({ params }) => buildpacks.clear(params.app),
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/build-cache', tag: 'builds', summary: 'The app\'s build cache and its size',
      params: AppParams, response: BuildCacheSchema,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => {
        await deps.appExists(params.app);
        return deps.buildCaches.info(params.app);
      },
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/build-cache', tag: 'builds', summary: 'Purge the app\'s build cache',
      params: AppParams, audit: 'build-cache.purge', access: deploy,
      handler: async ({ params }) => {
        await deps.appExists(params.app);
        await deps.buildCaches.purge(params.app);
      },
    }),
    defineRoute({
      // {"image": "REF"}: deploys an existing image; answers once the release serves (or failed).
      method: 'post', path: '/apps/:app/builds', tag: 'builds', summary: 'Deploy an existing image (deploy --image)',
      params: AppParams, body: Body, response: ImageDeploySchema, status: 201, audit: 'deploy.image',
      errors: ['deploy_failed', 'registry_unavailable'], access: deploy,
      handler: async ({ params, body }) => {
        const result = await deps.imageDeploys.deploy(params.app, body?.image);
        return { build: buildJson(result.build), release: releaseJson(result.release, result.release.version, null) };
      },
    }),
  ];
}
