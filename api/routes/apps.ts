/** Thin routes: validate, call a service, answer. */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import type { AppRenamer } from '../../engine/app-rename';
import type { AppsService } from '../../engine/apps-service';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import type { ReleaseService } from '../../engine/release-service';
import { appInfoJson, appJson, buildJson, releaseJson } from '../serializers';

export interface AppRoutesDeps {
  apps: AppsService;
  releases: ReleaseService;
  builds: BuildsRepo;
  /** `PATCH /apps/:app {"name": NEW}` (apps:rename). */
  renamer?: Pick<AppRenamer, 'rename'>;
}

function param(req: Request, name: string): string {
  return String(req.params[name] ?? '');
}

export function appRoutes({ apps, releases, builds, renamer }: AppRoutesDeps): Router {
  const router = Router();
  const addresses = apps.addresses;

  router.get('/apps', async (_req, res) => {
    res.json((await apps.list()).map((app) => appJson(app, addresses)));
  });

  router.post('/apps', async (req, res) => {
    const name = (req.body as { name?: unknown })?.name;
    if (typeof name !== 'string') throw new SlipwayError('invalid_request', 'Give the app a name: {"name": "my-app"}.');
    res.status(201).json(appJson(await apps.create(name), addresses));
  });

  router.get('/apps/:app', async (req, res) => {
    const info = await apps.info(param(req, 'app'));
    const build = info.release?.buildId ? await builds.get(info.release.buildId) : null;
    res.json(appInfoJson(info, addresses, build?.commit ?? null));
  });

  router.patch('/apps/:app', async (req, res) => {
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string') throw new SlipwayError('invalid_request', 'Give the new name: {"name": "new-name"}.');
    if (!renamer) throw new SlipwayError('invalid_request', 'Renaming apps is not available on this installation.');
    res.json(appJson(await renamer.rename(param(req, 'app'), name), addresses));
  });

  router.delete('/apps/:app', async (req, res) => {
    const confirm = typeof req.query.confirm === 'string' ? req.query.confirm : undefined;
    await apps.destroy(param(req, 'app'), confirm);
    res.status(204).end();
  });

  router.get('/apps/:app/releases', async (req, res) => {
    const app = await apps.get(param(req, 'app'));
    const list = await releases.list(app);
    const commits = new Map((await builds.list(app.id, 500)).map((b) => [b.id, b.commit]));
    res.json(list.map((r) => releaseJson(r, app.currentRelease, r.buildId ? commits.get(r.buildId) ?? null : null)));
  });

  router.get('/apps/:app/builds', async (req, res) => {
    const app = await apps.get(param(req, 'app'));
    res.json((await builds.list(app.id)).map(buildJson));
  });

  return router;
}
