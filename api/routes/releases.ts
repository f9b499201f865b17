/** One release (`releases:info`) and rollbacks (docs/contracts/api.md). */
import { Router } from 'express';
import { SlipwayError } from '../../lib/errors';
import { parseVersion } from '../../engine/config-vars';
import type { ReleaseDetails, ReleaseService } from '../../engine/release-service';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import { releaseJson } from '../serializers';

export interface ReleaseRoutesDeps {
  releases: ReleaseService;
  builds: BuildsRepo;
}

/** `Release` + the build's image and process types + the config's keys (never its values). */
export function releaseInfoJson({ app, release, build, configKeys }: ReleaseDetails) {
  return {
    ...releaseJson(release, app.currentRelease, build?.commit ?? null),
    image: build?.image ?? null,
    processTypes: build?.processTypes ?? {},
    configKeys,
  };
}

export function releaseRoutes({ releases, builds }: ReleaseRoutesDeps): Router {
  const router = Router();

  router.get('/apps/:app/releases/:version', async (req, res) => {
    const given = String(req.params.version ?? '');
    const version = parseVersion(given);
    if (version === null) throw new SlipwayError('invalid_request', `"${given}" is not a release version: use a number like 3 or v3.`);
    res.json(releaseInfoJson(await releases.info(String(req.params.app ?? ''), version)));
  });

  // {"rollback": N} (or "vN"); without it, the newest succeeded release before the current one.
  router.post('/apps/:app/releases', async (req, res) => {
    const given = (req.body as { rollback?: unknown } | undefined)?.rollback ?? null;
    const version = given === null ? null : parseVersion(given);
    if (given !== null && version === null) {
      throw new SlipwayError('invalid_request', `Cannot roll back to ${JSON.stringify(given)}: give a release version, {"rollback": 3}.`);
    }
    const release = await releases.rollback(String(req.params.app ?? ''), version);
    const build = release.buildId === null ? null : await builds.get(release.buildId);
    res.status(201).json(releaseJson(release, release.version, build?.commit ?? null));
  });

  return router;
}
