/** Add-ons, their backups and app links (docs/addons.md, docs/contracts/api.md "Add-ons"). Thin: validate, call a service, answer. */
import { Router, type Request, type Response } from 'express';
import type { AddonsService, AddonView } from '../../engine/addons/addons-service';
import type { BackupsService } from '../../engine/addons/backups-service';
import type { LinksService, LinkView } from '../../engine/addons/links-service';
import { backupLabel, type Backup, type BackupSchedule } from '../../engine/addons/model';
import type { CredentialsRotation } from '../../engine/addons/rotation';
import { SlipwayError } from '../../lib/errors';
import type { AddonJson, BackupJson, BackupScheduleJson, LinkJson } from '../schemas/addons';

export interface AddonRoutesDeps {
  addons: AddonsService;
  backups: BackupsService;
  rotation: CredentialsRotation;
  links: LinksService;
}

export function addonJson(view: AddonView): AddonJson {
  const { addon } = view;
  return {
    name: addon.name, kind: addon.kind, plan: addon.plan, team: addon.teamId, state: addon.state, health: addon.health,
    stateReason: addon.stateReason, url: view.url, attachments: view.attachments, createdAt: addon.createdAt.toISOString(),
  };
}

export function backupJson(backup: Backup): BackupJson {
  const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());
  return {
    id: backupLabel(backup.number), status: backup.status, trigger: backup.trigger, size: backup.sizeBytes, durationMs: backup.durationMs,
    startedAt: iso(backup.startedAt), finishedAt: iso(backup.finishedAt), error: backup.error, counts: backup.counts, createdAt: backup.createdAt.toISOString(),
  };
}

function scheduleJson(schedule: BackupSchedule): BackupScheduleJson {
  return { at: schedule.at, keep: schedule.keep, lastRunAt: schedule.lastRunAt?.toISOString() ?? null };
}

function linkJson(link: LinkView): LinkJson {
  return { ...link };
}

const param = (req: Request, name: string): string => String(req.params[name] ?? '');

function body(req: Request): Record<string, unknown> {
  const value = req.body as unknown;
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SlipwayError('invalid_request', 'The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SlipwayError('invalid_request', `${name} must be a string.`);
  return value;
}

function requiredString(value: unknown, name: string): string {
  const text = optionalString(value, name);
  if (text === undefined || text === '') throw new SlipwayError('invalid_request', `${name} is required.`);
  return text;
}

export function addonRoutes({ addons, backups, rotation, links }: AddonRoutesDeps): Router {
  const router = Router();

  router.get('/addons', async (req, res) => {
    const app = optionalString(req.query.app, 'app');
    res.json((await addons.list(app)).map(addonJson));
  });

  router.post('/apps/:app/addons', async (req, res) => {
    const b = body(req);
    const view = await addons.create(param(req, 'app'), {
      kind: b.kind, plan: optionalString(b.plan, 'plan'), as: optionalString(b.as, 'as'), url: optionalString(b.url, 'url'),
    });
    res.status(202).json(addonJson(view));
  });

  router.get('/addons/:name', async (req, res) => {
    res.json(addonJson(await addons.info(param(req, 'name'), req.query.reveal === 'true')));
  });

  router.delete('/addons/:name', async (req, res) => {
    await addons.destroy(param(req, 'name'), req.query.confirm, req.query.detachAll === 'true');
    res.status(204).end();
  });

  router.post('/addons/:name/attachments', async (req, res) => {
    const b = body(req);
    res.status(201).json(addonJson(await addons.attach(param(req, 'name'), requiredString(b.app, 'app'), optionalString(b.as, 'as'))));
  });

  router.delete('/addons/:name/attachments/:app', async (req, res) => {
    res.json(addonJson(await addons.detach(param(req, 'name'), param(req, 'app'))));
  });

  router.post('/addons/:name/credentials/rotate', async (req, res) => {
    await rotation.rotate(param(req, 'name'));
    res.json(addonJson(await addons.info(param(req, 'name'))));
  });

  router.get('/addons/:name/backups', async (req, res) => {
    res.json((await backups.list(param(req, 'name'))).map(backupJson));
  });

  router.post('/addons/:name/backups', async (req, res) => {
    const { backup, done } = await backups.capture(param(req, 'name'));
    void done; // followed with GET /addons/:name/backups/:id
    res.status(202).json(backupJson(backup));
  });

  router.get('/addons/:name/backup-schedule', async (req, res) => {
    const schedule = await backups.schedule(param(req, 'name'));
    if (!schedule) throw new SlipwayError('not_found', `${param(req, 'name')} has no backup schedule. Set one with slipway addons:backups:schedule ${param(req, 'name')} --at 02:00 --keep 7.`);
    res.json(scheduleJson(schedule));
  });

  router.put('/addons/:name/backup-schedule', async (req, res) => {
    const b = body(req);
    res.json(scheduleJson(await backups.setSchedule(param(req, 'name'), b.at, b.keep)));
  });

  router.delete('/addons/:name/backup-schedule', async (req, res) => {
    await backups.unschedule(param(req, 'name'));
    res.status(204).end();
  });

  router.get('/addons/:name/backups/:id', async (req, res) => {
    res.json(backupJson(await backups.get(param(req, 'name'), param(req, 'id'))));
  });

  // The dump itself (gzip), streamed; `latest` is the newest verified backup.
  router.get('/addons/:name/backups/:id/download', async (req, res: Response) => {
    const id = param(req, 'id');
    const download = await backups.download(param(req, 'name'), id === 'latest' ? undefined : id);
    res.status(200).set({
      'content-type': 'application/gzip',
      'content-length': String(download.size),
      'content-disposition': `attachment; filename="${param(req, 'name')}-${backupLabel(download.backup.number)}.gz"`,
    });
    download.stream.on('error', () => res.destroy());
    download.stream.pipe(res);
  });

  router.post('/addons/:name/backups/:id/restore', async (req, res) => {
    const b = body(req);
    res.json(backupJson(await backups.restore(param(req, 'name'), param(req, 'id'), b.confirm)));
  });

  router.get('/apps/:app/links', async (req, res) => {
    res.json((await links.list(param(req, 'app'))).map(linkJson));
  });

  router.post('/apps/:app/links', async (req, res) => {
    const b = body(req);
    res.status(201).json(linkJson(await links.link(param(req, 'app'), requiredString(b.app, 'app'), optionalString(b.as, 'as'))));
  });

  router.delete('/apps/:app/links/:other', async (req, res) => {
    await links.unlink(param(req, 'app'), param(req, 'other'));
    res.status(204).end();
  });

  return router;
}
