/** ps and formation routes: thin, validation and a service call each. */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import { parseMemory } from '../../engine/app-json';
import type { FormationService } from '../../engine/formation-service';
import type { InstanceKiller } from '../../engine/instance-kill';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { FormationEntrySchema, InstanceSchema, PsViewSchema } from '../schemas/apps';
import { hint } from '../schemas/hint';
import { instanceJson } from '../serializers';

const typeError = '"type" must be a process type name, like "web"';
/** `{"type": "web"}`, or no body for every process type. */
const OptionalType = z.object({ type: z.string(hint(typeError)).nullable().optional() }, hint(typeError)).optional();

function typeOf(body: { type?: string | null } | undefined): string | undefined {
  return body?.type ? body.type : undefined;
}

const killError = 'Say which instance to kill: {"instance": "web.2"}, or an instance id from ps';

export function formationRoutes(formation: FormationService, killer?: InstanceKiller): Route[] {
  const operate = ({ params }: { params: { app: string } }) => ({ action: 'app:operate' as const, app: params.app });
  const routes: Route[] = [
    defineRoute({
      method: 'get', path: '/apps/:app/ps', tag: 'formation', summary: 'The formation and the running instances',
      params: AppParams, response: PsViewSchema,
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => {
        const view = await formation.ps(params.app);
        return { formation: view.formation, instances: view.instances.map(instanceJson) };
      },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/formation', tag: 'formation', summary: 'The formation: instances and size per process type',
      params: AppParams, response: z.array(FormationEntrySchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => (await formation.ps(params.app)).formation,
    }),
    defineRoute({
      // Body: {"web": 3, "worker": 0}
      method: 'patch', path: '/apps/:app/formation', tag: 'formation', summary: 'Scale process types',
      params: AppParams, body: z.record(z.string(), z.unknown()), response: z.array(FormationEntrySchema),
      audit: 'formation.scale', errors: ['insufficient_capacity'], access: operate,
      handler: async ({ params, body }) => {
        const changes = Object.entries(body).map(([type, quantity]) => {
          if (typeof quantity !== 'number') throw new SlipwayError('invalid_request', `"${type}" must be a number of instances.`);
          return { type, quantity };
        });
        if (changes.length === 0) throw new SlipwayError('invalid_request', 'Say what to scale: {"web": 2}.');
        return formation.scale(params.app, changes);
      },
    }),
    defineRoute({
      // Body: {"memory": "512m", "cpu": 0.5}
      method: 'patch', path: '/apps/:app/formation/:type', tag: 'formation', summary: 'Resize a process type',
      params: AppParams.extend({ type: z.string().max(64) }),
      body: z.object({ memory: z.union([z.string(), z.number()]).optional(), cpu: z.union([z.number(), z.string()]).optional() }),
      response: FormationEntrySchema, audit: 'formation.resize', errors: ['insufficient_capacity'], access: operate,
      handler: async ({ params, body }) => {
        const size: { memoryMb?: number; cpu?: number } = {};
        if (body.memory !== undefined) size.memoryMb = parseMemory(String(body.memory));
        if (body.cpu !== undefined) size.cpu = Number(body.cpu);
        if (size.memoryMb === undefined && size.cpu === undefined) {
          throw new SlipwayError('invalid_request', 'Give a new size: --memory 512m and/or --cpu 0.5.');
        }
        return formation.resize(params.app, params.type, size);
      },
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/ps/restart', tag: 'formation', summary: 'Restart the app\'s instances (of one process type)',
      params: AppParams, body: OptionalType, audit: 'ps.restart', access: operate,
      handler: async ({ params, body }) => { await formation.restart(params.app, typeOf(body)); },
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/ps/stop', tag: 'formation', summary: 'Stop a process type (scale it to 0)',
      params: AppParams, body: OptionalType, response: z.array(FormationEntrySchema), audit: 'ps.stop', access: operate,
      handler: async ({ params, body }) => {
        const type = typeOf(body);
        if (!type) throw new SlipwayError('invalid_request', `Say which process type to stop, like: slipway ps:stop ${params.app} worker`);
        return formation.stop(params.app, type);
      },
    }),
  ];
  if (killer) {
    routes.push(defineRoute({
      // Body: {"instance": "web.2"} (or an instance id from ps). Answers the instance stopped; a replacement starts.
      method: 'post', path: '/apps/:app/ps/kill', tag: 'formation', summary: 'Stop one instance; a replacement starts',
      params: AppParams, body: z.object({ instance: z.string(hint(killError)).min(1, hint(killError)) }, hint(killError)),
      response: InstanceSchema, audit: 'ps.kill', errors: ['instance_not_found'], access: operate,
      handler: async ({ params, body }) => instanceJson(await killer.kill(params.app, body.instance)),
    }));
  }
  return routes;
}
