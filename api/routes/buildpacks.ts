/**
 * Buildpacks set on an app, its build cache, and deploying an existing image
 * (docs/contracts/api.md, "Buildpacks, build cache and image deploys").
 */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { BuildpacksService } from '../../engine/buildpacks-service';
import type { BuildCacheInfo } from '../../builder/build-caches';
import type { ImageDeployResult } from '../../builder/image-deploy';
import { buildJson, releaseJson } from '../serializers';

export interface BuildpackRoutesDeps {
  buildpacks: BuildpacksService;
  buildCaches: { info(app: string): Promise<BuildCacheInfo>; purge(app: string): Promise<void> };
  /** Checks the app exists (the cache calls work on names). */
  appExists(app: string): Promise<void>;
  imageDeploys: { deploy(app: string, image: unknown): Promise<ImageDeployResult> };
}

const app = (req: Request): string => String(req.params.app ?? '');

function index(req: Request): number {
  const raw = String(req.params.index ?? '');
  if (!/^\d{1,4}$/.test(raw)) throw new SlipwayError('invalid_request', `"${raw}" is not a buildpack index: use 1, 2, …`);
  return Number(raw);
}

function body(req: Request): { buildpack?: unknown; buildpacks?: unknown; index?: unknown; image?: unknown } {
  const value = req.body as unknown;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export function buildpackRoutes(deps: BuildpackRoutesDeps): Router {
  const router = Router();
  const { buildpacks } = deps;

  router.get('/apps/:app/buildpacks', async (req, res) => {
    res.json(await buildpacks.list(app(req)));
  });

  // {"buildpacks": ["nodejs", "https://…"]}: replaces the whole list ([] clears it).
  router.put('/apps/:app/buildpacks', async (req, res) => {
    res.json(await buildpacks.replace(app(req), body(req).buildpacks));
  });

  // {"buildpack", "index"?}: inserts (default: at the end).
  router.post('/apps/:app/buildpacks', async (req, res) => {
    const { buildpack, index: at } = body(req);
    res.status(201).json(await buildpacks.add(app(req), buildpack, at));
  });

  // {"buildpack"}: replaces the buildpack at :index (or appends it when :index is one past the end).
  router.put('/apps/:app/buildpacks/:index', async (req, res) => {
    res.json(await buildpacks.set(app(req), body(req).buildpack, index(req)));
  });

  router.delete('/apps/:app/buildpacks/:index', async (req, res) => {
    res.json(await buildpacks.remove(app(req), index(req)));
  });

  router.delete('/apps/:app/buildpacks', async (req, res) => {
    res.json(await buildpacks.clear(app(req)));
  });

  router.get('/apps/:app/build-cache', async (req, res) => {
    await deps.appExists(app(req));
    res.json(await deps.buildCaches.info(app(req)));
  });

  router.delete('/apps/:app/build-cache', async (req, res) => {
    await deps.appExists(app(req));
    await deps.buildCaches.purge(app(req));
    res.status(204).end();
  });

  // {"image": "REF"}: deploys an existing image; answers once the release serves (or failed).
  router.post('/apps/:app/builds', async (req, res) => {
    const result = await deps.imageDeploys.deploy(app(req), body(req).image);
    res.status(201).json({
      build: buildJson(result.build),
      release: releaseJson(result.release, result.release.version, null),
    });
  });

  return router;
}
