/**
 * The deploy timeline over the API (docs/deploy-timeline.md): `GET /apps/:app/deploys`, the
 * recent deploys with their phases (the one in progress first), and the phases that
 * `GET /apps/:app/releases/:version` and `GET /apps/:app/builds/:id` carry. Reading phases needs
 * `app:view`; a failure's explaining lines come from logs, which need `app:operate`: a caller
 * without it gets the reason and `lines: null`.
 */
import { z } from 'zod';
import { durationMs, PHASES, type Deploy, type DeployTimeline, type Phase } from '../../engine/deploy-timeline';
import type { AccessChecker, AccessRequest, Decision, Principal } from '../../engine/policy';
import type { AppsService } from '../../engine/apps-service';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { DeploySchema, DeploysQuery, type DeployJson } from '../schemas/deploys';

export type TimelineReader = Pick<DeployTimeline, 'list' | 'forRelease' | 'forBuild'>;

export interface DeployRoutesDeps {
  apps: AppsService;
  timeline?: TimelineReader;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

function phaseJson(phase: Phase | undefined, name: Phase['name'], withLines: boolean): DeployJson['phases'][number] {
  if (!phase) return { name, outcome: 'pending', startedAt: null, endedAt: null, durationMs: null, detail: null, reason: null, lines: withLines ? [] : null };
  return {
    // A skipped phase took no time worth a figure.
    name, outcome: phase.outcome, startedAt: iso(phase.startedAt), endedAt: iso(phase.endedAt), durationMs: phase.outcome === 'skipped' ? null : durationMs(phase),
    detail: phase.detail, reason: phase.reason, lines: withLines ? phase.lines : null,
  };
}

/** All eight phases in order, the ones not recorded as `pending`. */
export function phasesJson(deploy: Deploy | null, withLines: boolean): DeployJson['phases'] {
  if (!deploy) return [];
  const byName = new Map(deploy.phases.map((p) => [p.name, p]));
  return PHASES.map((name) => phaseJson(byName.get(name), name, withLines));
}

export function deployJson(deploy: Deploy, withLines: boolean): DeployJson {
  return {
    id: deploy.id, kind: deploy.kind, status: deploy.status, commit: deploy.commit, buildId: deploy.buildId,
    release: deploy.releaseVersion, createdBy: deploy.createdBy, startedAt: deploy.startedAt.toISOString(),
    endedAt: iso(deploy.endedAt), durationMs: deploy.endedAt ? Math.max(0, deploy.endedAt.getTime() - deploy.startedAt.getTime()) : null,
    reason: deploy.reason, phases: phasesJson(deploy, withLines),
  };
}

/** Whether the caller may read the app's logs: asked without auditing a refusal (reading phases is not an attempt to read logs). */
export async function mayReadLogs(access: AccessChecker, principal: Principal, app: string): Promise<boolean> {
  const request: AccessRequest = { action: 'app:operate', app };
  const decider = access as AccessChecker & { decide?: (p: Principal, r: AccessRequest) => Promise<Decision> };
  if (typeof decider.decide === 'function') return (await decider.decide(principal, request)).allowed;
  return access.check(principal, request).then(() => true, () => false);
}

export function deployRoutes({ apps, timeline }: DeployRoutesDeps, access: AccessChecker): Route[] {
  if (!timeline) return [];
  return [defineRoute({
    method: 'get', path: '/apps/:app/deploys', tag: 'releases', summary: 'The deploy timeline: recent deploys with their phases, the running one first',
    params: AppParams, query: DeploysQuery, response: z.array(DeploySchema),
    access: ({ params }) => ({ action: 'app:view', app: params.app }),
    handler: async ({ params, query, principal }) => {
      const app = await apps.get(params.app);
      const limit = Math.min(100, Math.max(1, Number(query.limit ?? 20)));
      const [deploys, withLines] = await Promise.all([timeline.list(app.id, limit), mayReadLogs(access, principal, app.name)]);
      return deploys.map((d) => deployJson(d, withLines));
    },
  })];
}
