/** Thin routes: validate, call a service, answer. Apps, their releases and builds. */
import { z } from 'zod';
import type { AppRenamer } from '../../engine/app-rename';
import type { AppsService } from '../../engine/apps-service';
import type { App } from '../../engine/model';
import type { AppPermission, Principal } from '../../engine/policy';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import type { ReleaseService } from '../../engine/release-service';
import { defineRoute, type Route } from '../route-table';
import { hint } from '../schemas/hint';
import { AppParams } from '../schemas/common';
import { AppInfoSchema, AppSchema, BuildSchema, ReleaseSchema } from '../schemas/apps';
import { appInfoJson, appJson, buildJson, releaseJson } from '../serializers';

export interface AppRoutesDeps {
  apps: AppsService;
  releases: ReleaseService;
  builds: BuildsRepo;
  /** `PATCH /apps/:app {"name": NEW}` (apps:rename). */
  renamer?: Pick<AppRenamer, 'rename'>;
  /** Teams: which apps a caller sees, where a new app goes, and the teams' names. */
  tenancy?: AppTenancy;
}

export interface AppTenancy {
  /** The apps the principal may view (one query; everything for platform admins). */
  visibleApps(principal: Principal): Promise<App[]>;
  /** The team a new app goes to: the one named, or the caller's personal team. */
  teamForNewApp(principal: Principal, team?: string | null): Promise<{ id: number; name: string }>;
  /** Every team's name by id. */
  teamNames(): Promise<Map<number, string>>;
  /** The caller's permissions on an app, as the policy grants them (`permissions` of GET /apps/:app). */
  permissionsOn?(principal: Principal, app: string): Promise<AppPermission[]>;
}

const nameError = 'Give the app a name: {"name": "my-app"}';

export function appRoutes({ apps, releases, builds, renamer, tenancy }: AppRoutesDeps): Route[] {
  const addresses = apps.addresses;
  const routes: Route[] = [
    defineRoute({
      method: 'get', path: '/apps', tag: 'apps', summary: 'List the apps you can see (?team=T: of one team)',
      query: z.object({ team: z.string().max(64).optional() }),
      response: z.array(AppSchema),
      access: () => ({ action: 'account' }),
      handler: async ({ principal, query }) => {
        if (!tenancy) return (await apps.list()).map((app) => appJson(app, addresses));
        const [visible, names] = await Promise.all([tenancy.visibleApps(principal), tenancy.teamNames()]);
        return visible
          .map((app) => ({ app, team: app.teamId === undefined ? undefined : names.get(app.teamId) }))
          .filter(({ team }) => query.team === undefined || team === query.team)
          .map(({ app, team }) => appJson(app, addresses, team));
      },
    }),
    defineRoute({
      method: 'post', path: '/apps', tag: 'apps', summary: 'Create an app',
      body: z.object({ name: z.string(hint(nameError)), team: z.string().min(1).max(64).optional() }, hint(nameError)),
      response: AppSchema, status: 201, audit: 'app.create', errors: ['invalid_app_name', 'app_exists', 'team_not_found'],
      auditTarget: ({ body }) => ({ app: body.name }),
      // A personal team has its user's name, so the policy can check it before anything is made.
      access: ({ body }, principal) => ({ action: 'team:create-app', team: body.team ?? (principal.kind === 'user' ? principal.userName : '') }),
      handler: async ({ body, principal }) => {
        if (!tenancy) return appJson(await apps.create(body.name), addresses);
        const team = await tenancy.teamForNewApp(principal, body.team ?? null);
        return appJson(await apps.create(body.name, team.id), addresses, team.name);
      },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app', tag: 'apps', summary: 'An app with its formation, instances and current release',
      params: AppParams, response: AppInfoSchema,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params, principal }) => {
        const [info, permissions] = await Promise.all([apps.info(params.app), tenancy?.permissionsOn?.(principal, params.app)]);
        const build = info.release?.buildId ? await builds.get(info.release.buildId) : null;
        return { ...appInfoJson(info, addresses, build?.commit ?? null), ...(permissions ? { permissions } : {}) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app', tag: 'apps', summary: 'Destroy an app (?confirm=APP)',
      params: AppParams, query: z.object({ confirm: z.string().optional() }), audit: 'app.destroy', errors: ['confirmation_required'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, query }) => { await apps.destroy(params.app, query.confirm); },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/releases', tag: 'releases', summary: 'The app\'s releases, newest first',
      params: AppParams, response: z.array(ReleaseSchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => {
        const app = await apps.get(params.app);
        const list = await releases.list(app);
        const commits = new Map((await builds.list(app.id, 500)).map((b) => [b.id, b.commit]));
        return list.map((r) => releaseJson(r, app.currentRelease, r.buildId ? commits.get(r.buildId) ?? null : null));
      },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/builds', tag: 'builds', summary: 'The app\'s builds, newest first',
      params: AppParams, response: z.array(BuildSchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => {
        const app = await apps.get(params.app);
        return (await builds.list(app.id)).map(buildJson);
      },
    }),
  ];
  if (renamer) {
    const renameError = 'Give the new name: {"name": "new-name"}';
    routes.push(defineRoute({
      method: 'patch', path: '/apps/:app', tag: 'apps', summary: 'Rename an app',
      params: AppParams, body: z.object({ name: z.string(hint(renameError)) }, hint(renameError)),
      response: AppSchema, audit: 'app.rename', errors: ['invalid_app_name', 'app_exists'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, body }) => appJson(await renamer.rename(params.app, body.name), addresses),
    }));
  }
  return routes;
}
