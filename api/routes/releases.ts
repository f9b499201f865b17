/** One release (`releases:info`) and rollbacks (docs/contracts/api.md). */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import { parseVersion } from '../../engine/config-vars';
import type { ReleaseDetails, ReleaseService } from '../../engine/release-service';
import type { BuildsRepo } from '../../engine/store/builds-repo';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { ReleaseInfoSchema, ReleaseSchema } from '../schemas/apps';
import { releaseJson } from '../serializers';
import type { AccessChecker } from '../../engine/policy';
import { mayReadLogs, phasesJson, type TimelineReader } from './deploys';

export interface ReleaseRoutesDeps {
  releases: ReleaseService;
  builds: BuildsRepo;
  /** The deploy timeline: a release's phases (api/routes/deploys.ts). */
  timeline?: TimelineReader;
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

export function releaseRoutes({ releases, builds, timeline }: ReleaseRoutesDeps, access: AccessChecker): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/releases/:version', tag: 'releases', summary: 'One release with its image, process types and config keys',
      params: AppParams.extend({ version: z.string() }), response: ReleaseInfoSchema, errors: ['release_not_found'],
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params, principal }) => {
        const version = parseVersion(params.version);
        if (version === null) throw new SlipwayError('invalid_request', `"${params.version}" is not a release version: use a number like 3 or v3.`);
        const details = await releases.info(params.app, version);
        if (!timeline) return releaseInfoJson(details);
        const [deploy, withLines] = await Promise.all([timeline.forRelease(details.app.id, version), mayReadLogs(access, principal, details.app.name)]);
        return { ...releaseInfoJson(details), phases: phasesJson(deploy, withLines) };
      },
    }),
    defineRoute({
      // {"rollback": N} (or "vN"); without it, the newest succeeded release before the current one.
      method: 'post', path: '/apps/:app/releases', tag: 'releases', summary: 'Roll back: a new release with an earlier release\'s build and config',
      params: AppParams, body: z.object({ rollback: z.union([z.number(), z.string()]).nullable().optional() }).optional(),
      response: ReleaseSchema, status: 201, audit: 'release.rollback', errors: ['release_not_found', 'deploy_failed'],
      access: ({ params }) => ({ action: 'app:deploy', app: params.app }),
      handler: async ({ params, body }) => {
        const given = body?.rollback ?? null;
        const version = given === null ? null : parseVersion(given);
        if (given !== null && version === null) {
          throw new SlipwayError('invalid_request', `Cannot roll back to ${JSON.stringify(given)}: give a release version, {"rollback": 3}.`);
        }
        const release = await releases.rollback(params.app, version);
        const build = release.buildId === null ? null : await builds.get(release.buildId);
        return releaseJson(release, release.version, build?.commit ?? null);
      },
    }),
  ];
}
