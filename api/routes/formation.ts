/** ps and formation routes: thin, validation and a service call each. */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import { parseMemory } from '../../engine/app-json';
import type { FormationService } from '../../engine/formation-service';
import type { InstanceKiller } from '../../engine/instance-kill';
import { instanceJson } from '../serializers';

const app = (req: Request): string => String(req.params.app ?? '');

function optionalType(body: unknown): string | undefined {
  const type = (body as { type?: unknown } | undefined)?.type;
  if (type === undefined || type === null || type === '') return undefined;
  if (typeof type !== 'string') throw new SlipwayError('invalid_request', '"type" must be a process type name, like "web".');
  return type;
}

export function formationRoutes(formation: FormationService, killer?: InstanceKiller): Router {
  const router = Router();

  router.get('/apps/:app/ps', async (req, res) => {
    const view = await formation.ps(app(req));
    res.json({ formation: view.formation, instances: view.instances.map(instanceJson) });
  });

  router.get('/apps/:app/formation', async (req, res) => {
    res.json((await formation.ps(app(req))).formation);
  });

  /** Body: {"web": 3, "worker": 0} */
  router.patch('/apps/:app/formation', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const changes = Object.entries(body).map(([type, quantity]) => {
      if (typeof quantity !== 'number') throw new SlipwayError('invalid_request', `"${type}" must be a number of instances.`);
      return { type, quantity };
    });
    if (changes.length === 0) throw new SlipwayError('invalid_request', 'Say what to scale: {"web": 2}.');
    res.json(await formation.scale(app(req), changes));
  });

  /** Body: {"memory": "512m", "cpu": 0.5} */
  router.patch('/apps/:app/formation/:type', async (req, res) => {
    const body = (req.body ?? {}) as { memory?: unknown; cpu?: unknown };
    const size: { memoryMb?: number; cpu?: number } = {};
    if (body.memory !== undefined) size.memoryMb = parseMemory(String(body.memory));
    if (body.cpu !== undefined) size.cpu = Number(body.cpu);
    if (size.memoryMb === undefined && size.cpu === undefined) {
      throw new SlipwayError('invalid_request', 'Give a new size: --memory 512m and/or --cpu 0.5.');
    }
    res.json(await formation.resize(app(req), String(req.params.type ?? ''), size));
  });

  router.post('/apps/:app/ps/restart', async (req, res) => {
    await formation.restart(app(req), optionalType(req.body));
    res.status(204).end();
  });

  router.post('/apps/:app/ps/stop', async (req, res) => {
    const type = optionalType(req.body);
    if (!type) throw new SlipwayError('invalid_request', 'Say which process type to stop, like: slipway ps:stop my-app worker');
    res.json(await formation.stop(app(req), type));
  });

  /** Body: {"instance": "web.2"} (or an instance id from ps). Answers the instance stopped; a replacement starts. */
  if (killer) {
    router.post('/apps/:app/ps/kill', async (req, res) => {
      const target = (req.body as { instance?: unknown } | undefined)?.instance;
      if (typeof target !== 'string' || target === '') {
        throw new SlipwayError('invalid_request', 'Say which instance to kill: {"instance": "web.2"}, or an instance id from ps.');
      }
      res.json(instanceJson(await killer.kill(app(req), target)));
    });
  }

  return router;
}
