/** Past builds of an app: GET /apps/:app/builds/:id and its output (`builds:info`, `builds:output`). */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import type { AppsService } from '../../engine/apps-service';
import type { Build } from '../../engine/model';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { BuildOutputSchema, BuildSchema } from '../schemas/apps';
import { buildJson } from '../serializers';
import type { AccessChecker } from '../../engine/policy';
import { mayReadLogs, phasesJson, type TimelineReader } from './deploys';

export interface BuildRoutesDeps {
  apps: AppsService;
  builds: BuildsRepo;
  /** The deploy timeline: the phases of the push that made a build (api/routes/deploys.ts). */
  timeline?: TimelineReader;
}

const BuildParams = AppParams.extend({ id: z.string().max(100) });

export function buildRoutes({ apps, builds, timeline }: BuildRoutesDeps, access: AccessChecker): Route[] {
  /** The build, when it is one of the app's (another app's build is not found either). */
  async function buildOf(appName: string, id: string): Promise<Build> {
    const app = await apps.get(appName);
    const build = await builds.get(id);
    if (build === null || build.appId !== app.id) {
      throw new SlipwayError('build_not_found', `${app.name} has no build ${id}. List its builds with: slipway builds -a ${app.name}`);
    }
    return build;
  }

  return [
    defineRoute({
      method: 'get', path: '/apps/:app/builds/:id', tag: 'builds', summary: 'One build',
      params: BuildParams, response: BuildSchema, errors: ['build_not_found'],
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params, principal }) => {
        const build = await buildOf(params.app, params.id);
        if (!timeline) return buildJson(build);
        const [deploy, withLines] = await Promise.all([timeline.forBuild(build.id), mayReadLogs(access, principal, params.app)]);
        return { ...buildJson(build), phases: phasesJson(deploy, withLines) };
      },
    }),
    defineRoute({
      // The build's log as the push showed it: text, one line per line. Operate, as for the app's
      // logs: what a build prints can hold config values (its ENV_DIR), which viewers may not read.
      method: 'get', path: '/apps/:app/builds/:id/output', tag: 'builds', summary: 'A build\'s output as the push showed it (operate, as logs)',
      params: BuildParams, response: BuildOutputSchema, errors: ['build_not_found'],
      access: ({ params }) => ({ action: 'app:operate', app: params.app }),
      handler: async ({ params }) => {
        const build = await buildOf(params.app, params.id);
        return { id: build.id, status: build.status, output: build.log };
      },
    }),
  ];
}
