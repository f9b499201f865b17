/**
 * One-off processes ("dynos" in Heroku's API): POST starts one detached or prepares one to attach
 * to (through the Upgrade of api/attach-server.ts), GET lists them, DELETE stops one. docs/run.md.
 */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import { parseRunRequest, RunRequestError, type OneOffInfo } from '../../engine/one-off';
import type { OneOffService } from '../../engine/one-off-service';
import { ATTACH_PROTOCOL } from '../attach-protocol';
import { attachOwner, attachPath } from '../attach-server';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { DynoSchema, StartedDynoSchema } from '../schemas/apps';

export interface RunRoutesDeps {
  oneOffs: OneOffService;
  /** How long a prepared one-off waits for its client to attach, as told to clients. */
  attachTimeoutSeconds: number;
}

export function dynoJson(info: OneOffInfo) {
  return {
    id: info.id,
    app: info.app,
    type: 'run' as const,
    release: info.release,
    command: info.command,
    state: info.state,
    startedAt: info.startedAt ? info.startedAt.toISOString() : null,
  };
}

export function runRoutes({ oneOffs, attachTimeoutSeconds }: RunRoutesDeps): Route[] {
  return [
    defineRoute({
      // {"addon": NAME} instead of a command: the add-on's client (addons:connect), attached.
      method: 'post', path: '/apps/:app/dynos', tag: 'run', summary: 'Run a one-off process (detached, or prepared to attach), or an attached add-on\'s client',
      // engine/one-off.ts validates the command, size, env and tty with its own messages.
      params: AppParams, body: z.unknown(), response: StartedDynoSchema, status: 201, audit: 'run',
      errors: ['no_release', 'insufficient_capacity', 'addon_not_found', 'attachment_not_found', 'addon_not_ready'],
      access: ({ params }) => ({ action: 'app:operate', app: params.app }),
      handler: async ({ params, body, principal }) => {
        let request;
        try {
          request = parseRunRequest(body);
        } catch (error) {
          if (error instanceof RunRequestError) throw new SlipwayError('invalid_request', error.message);
          throw error;
        }
        const run = request.addon === null ? await oneOffs.prepare(params.app, request) : await oneOffs.prepareAddonClient(params.app, request.addon, request);
        if (!request.attach) return { ...dynoJson(await oneOffs.startDetached(run)), attach: null };
        oneOffs.reserve(run, attachOwner(principal));
        return {
          ...dynoJson(run.info),
          attach: { url: attachPath(run.info.app, run.info.id), protocol: ATTACH_PROTOCOL, expiresInSeconds: attachTimeoutSeconds, tty: request.tty },
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/dynos', tag: 'run', summary: 'The app\'s one-off processes',
      params: AppParams, response: z.array(DynoSchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => (await oneOffs.list(params.app)).map(dynoJson),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/dynos/:id', tag: 'run', summary: 'Stop a one-off process',
      params: AppParams.extend({ id: z.string().min(1).max(100) }), audit: 'run.stop', errors: ['instance_not_found'],
      access: ({ params }) => ({ action: 'app:operate', app: params.app }),
      handler: async ({ params }) => { await oneOffs.stop(params.app, params.id); },
    }),
  ];
}
