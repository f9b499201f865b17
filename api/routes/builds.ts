/** Past builds of an app: GET /apps/:app/builds/:id and its output (`builds:info`, `builds:output`). */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { AppsService } from '../../engine/apps-service';
import type { Build } from '../../engine/model';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import { buildJson } from '../serializers';

export interface BuildRoutesDeps {
  apps: AppsService;
  builds: BuildsRepo;
}

export function buildRoutes({ apps, builds }: BuildRoutesDeps): Router {
  const router = Router();

  /** The build, when it is one of the app's (another app's build is not found either). */
  async function buildOf(req: Request): Promise<Build> {
    const app = await apps.get(String(req.params.app ?? ''));
    const id = String(req.params.id ?? '');
    const build = await builds.get(id);
    if (build === null || build.appId !== app.id) {
      throw new SlipwayError('build_not_found', `${app.name} has no build ${id}. List its builds with: slipway builds -a ${app.name}`);
    }
    return build;
  }

  router.get('/apps/:app/builds/:id', async (req, res) => {
    res.json(buildJson(await buildOf(req)));
  });

  // The build's log as the push showed it: text, one line per line.
  router.get('/apps/:app/builds/:id/output', async (req, res) => {
    const build = await buildOf(req);
    res.json({ id: build.id, status: build.status, output: build.log });
  });

  return router;
}
