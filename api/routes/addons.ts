/**
 * Add-ons, their backups and app links (docs/addons.md), declared in the route table.
 *
 * Who may act on an add-on: the policy decides, on the apps it is attached to (Heroku's model: an
 * add-on is reached through its apps). Routes under /apps/:app name the app in `access`; routes
 * that name only the add-on are open to any signed-in caller at the table and then `guard` asks
 * the same AccessChecker about each attached app: allowed when one passes; 404 when the caller may
 * not even view one (the add-on's existence does not leak); a detached add-on only to platform admins.
 */
import { z } from 'zod';
import type { AddonsService, AddonView } from '../../engine/addons/addons-service';
import type { BackupsService } from '../../engine/addons/backups-service';
import type { LinksService, LinkView } from '../../engine/addons/links-service';
import { backupLabel, type Backup, type BackupSchedule } from '../../engine/addons/model';
import type { CredentialsRotation } from '../../engine/addons/rotation';
import type { AccessChecker, Action, Principal } from '../../engine/policy';
import { isSlipwayError, SlipwayError } from '../../lib/errors';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import {
  AddonAppParams, AddonInfoQuery, AddonListQuery, AddonParams, AddonSchema, AttachBody, BackupParams, BackupScheduleSchema, BackupSchema,
  CreateAddonBody, DestroyQuery, LinkBody, LinkParams, LinkSchema, RestoreBody, ScheduleBody,
  type AddonJson, type BackupJson, type BackupScheduleJson, type LinkJson,
} from '../schemas/addons';

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

const notFound = (name: string): SlipwayError =>
  new SlipwayError('addon_not_found', `There is no add-on named ${JSON.stringify(name)} that you can see. Run \`slipway addons\` to list them.`);

/** Whether the policy lets `principal` do `action` on one of the add-on's apps (see the header). */
async function allowedOnAddon(access: AccessChecker, principal: Principal, apps: readonly string[], action: Action): Promise<boolean> {
  if (principal.kind === 'platform' || principal.platformAdmin) return true;
  for (const app of apps) {
    try {
      await access.check(principal, { action, app });
      return true;
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
    }
  }
  return false;
}

export function addonRoutes(deps: AddonRoutesDeps & { access: AccessChecker }): Route[] {
  const { addons, backups, rotation, links, access } = deps;

  /** Throws addon_not_found (the caller may not view it) or forbidden (it may view, not do `action`). */
  async function guard(principal: Principal, name: string, action: Action): Promise<void> {
    const view = await addons.info(name).catch((error: unknown) => {
      if (isSlipwayError(error) && error.code === 'addon_not_found') throw notFound(name);
      throw error;
    });
    const apps = view.attachments.map((a) => a.app);
    if (await allowedOnAddon(access, principal, apps, action)) return;
    if (action !== 'app:view' && await allowedOnAddon(access, principal, apps, 'app:view')) {
      throw new SlipwayError('forbidden', `You need the ${action === 'app:config:read' ? 'deploy, operate or manage' : action.slice(4)} permission on an app ${name} is attached to (${apps.join(', ')}) for this.`);
    }
    throw notFound(name);
  }

  return [
    defineRoute({
      method: 'get', path: '/addons', tag: 'addons', summary: 'Add-ons you can see, or those attached to one app',
      query: AddonListQuery, response: z.array(AddonSchema),
      access: ({ query }) => (query.app ? { action: 'app:view', app: query.app } : { action: 'account' }),
      handler: async ({ query, principal }) => {
        const all = await addons.list(query.app);
        if (query.app) return all.map(addonJson);
        const visible: AddonJson[] = [];
        for (const view of all) {
          if (await allowedOnAddon(access, principal, view.attachments.map((a) => a.app), 'app:view')) visible.push(addonJson(view));
        }
        return visible;
      },
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/addons', tag: 'addons', summary: 'Create an add-on for the app\'s team and attach it (provisioning runs on; follow GET /addons/:name)',
      params: AppParams, body: CreateAddonBody, response: AddonSchema, status: 202, audit: 'addon.create',
      errors: ['attachment_exists', 'addon_exists'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, body }) => addonJson(await addons.create(params.app, body)),
    }),
    defineRoute({
      method: 'get', path: '/addons/:name', tag: 'addons', summary: 'An add-on: state, URL (password hidden unless reveal=true), attachments',
      params: AddonParams, query: AddonInfoQuery, response: AddonSchema, errors: ['addon_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, query, principal }) => {
        const reveal = query.reveal === 'true';
        await guard(principal, params.name, reveal ? 'app:config:read' : 'app:view');
        return addonJson(await addons.info(params.name, reveal));
      },
    }),
    defineRoute({
      method: 'delete', path: '/addons/:name', tag: 'addons', summary: 'Destroy an add-on, its data and backups (confirm=NAME; refused while attached unless detachAll=true)',
      params: AddonParams, query: DestroyQuery, audit: 'addon.destroy', errors: ['addon_not_found', 'addon_attached', 'confirmation_required'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, query, principal }) => {
        await guard(principal, params.name, 'app:manage');
        await addons.destroy(params.name, query.confirm, query.detachAll === 'true');
      },
    }),
    defineRoute({
      method: 'post', path: '/addons/:name/attachments', tag: 'addons', summary: 'Attach the add-on to another app of its team (a new release of that app)',
      params: AddonParams, body: AttachBody, response: AddonSchema, status: 201, audit: 'addon.attach',
      errors: ['addon_not_found', 'attachment_exists', 'addon_other_team', 'addon_not_ready'],
      access: ({ body }) => ({ action: 'app:manage', app: body.app }),
      handler: async ({ params, body, principal }) => {
        await guard(principal, params.name, 'app:manage');
        return addonJson(await addons.attach(params.name, body.app, body.as));
      },
    }),
    defineRoute({
      method: 'delete', path: '/addons/:name/attachments/:app', tag: 'addons', summary: 'Detach the add-on from an app (its variables go, with a new release)',
      params: AddonAppParams, response: AddonSchema, audit: 'addon.detach', errors: ['addon_not_found', 'attachment_not_found'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params }) => addonJson(await addons.detach(params.name, params.app)),
    }),
    defineRoute({
      method: 'post', path: '/addons/:name/credentials/rotate', tag: 'addons', summary: 'New credentials, a release of every attached app, then the old ones revoked',
      params: AddonParams, response: AddonSchema, audit: 'addon.credentials.rotate', errors: ['addon_not_found', 'addon_not_ready', 'deploy_failed'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:manage');
        await rotation.rotate(params.name);
        return addonJson(await addons.info(params.name));
      },
    }),
    defineRoute({
      method: 'get', path: '/addons/:name/backups', tag: 'addons', summary: 'The add-on\'s backups, newest first',
      params: AddonParams, response: z.array(BackupSchema), errors: ['addon_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:view');
        return (await backups.list(params.name)).map(backupJson);
      },
    }),
    defineRoute({
      method: 'post', path: '/addons/:name/backups', tag: 'addons', summary: 'Capture a backup, then verify it (runs on; follow GET /addons/:name/backups/:id)',
      params: AddonParams, response: BackupSchema, status: 202, audit: 'addon.backup.capture', errors: ['addon_not_found', 'addon_not_ready'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:manage');
        const { backup } = await backups.capture(params.name);
        return backupJson(backup);
      },
    }),
    defineRoute({
      method: 'get', path: '/addons/:name/backup-schedule', tag: 'addons', summary: 'The add-on\'s daily backup schedule',
      params: AddonParams, response: BackupScheduleSchema, errors: ['addon_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:view');
        const schedule = await backups.schedule(params.name);
        if (!schedule) throw new SlipwayError('not_found', `${params.name} has no backup schedule. Set one with slipway addons:backups:schedule ${params.name} --at 02:00 --keep 7.`);
        return scheduleJson(schedule);
      },
    }),
    defineRoute({
      method: 'put', path: '/addons/:name/backup-schedule', tag: 'addons', summary: 'Back the add-on up daily at `at` (HH:MM UTC), keeping `keep` verified backups',
      params: AddonParams, body: ScheduleBody, response: BackupScheduleSchema, audit: 'addon.backup.schedule', errors: ['addon_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, body, principal }) => {
        await guard(principal, params.name, 'app:manage');
        return scheduleJson(await backups.setSchedule(params.name, body.at, body.keep));
      },
    }),
    defineRoute({
      method: 'delete', path: '/addons/:name/backup-schedule', tag: 'addons', summary: 'Stop the scheduled backups (taken ones are kept)',
      params: AddonParams, audit: 'addon.backup.unschedule', errors: ['addon_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:manage');
        await backups.unschedule(params.name);
      },
    }),
    defineRoute({
      method: 'get', path: '/addons/:name/backups/:id', tag: 'addons', summary: 'One backup',
      params: BackupParams, response: BackupSchema, errors: ['addon_not_found', 'backup_not_found'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal }) => {
        await guard(principal, params.name, 'app:view');
        return backupJson(await backups.get(params.name, params.id));
      },
    }),
    defineRoute({
      method: 'get', path: '/addons/:name/backups/:id/download', tag: 'addons', summary: 'The dump of a verified backup (gzip), streamed; id `latest`: the newest verified',
      params: BackupParams, produces: 'application/gzip', errors: ['addon_not_found', 'backup_not_found', 'backup_failed'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, principal, res }) => {
        // A dump holds every value of the database: as readable as config values are.
        await guard(principal, params.name, 'app:config:read');
        const download = await backups.download(params.name, params.id === 'latest' ? undefined : params.id);
        res.status(200).set({
          'content-type': 'application/gzip',
          'content-length': String(download.size),
          'content-disposition': `attachment; filename="${params.name}-${backupLabel(download.backup.number)}.gz"`,
        });
        download.stream.on('error', () => res.destroy());
        download.stream.pipe(res);
      },
    }),
    defineRoute({
      method: 'post', path: '/addons/:name/backups/:id/restore', tag: 'addons', summary: 'Replace the add-on\'s data with a verified backup\'s (confirm: NAME)',
      params: BackupParams, body: RestoreBody, response: BackupSchema, audit: 'addon.backup.restore',
      errors: ['addon_not_found', 'backup_not_found', 'backup_failed', 'confirmation_required'],
      access: () => ({ action: 'account' }),
      handler: async ({ params, body, principal }) => {
        await guard(principal, params.name, 'app:manage');
        return backupJson(await backups.restore(params.name, params.id, body.confirm));
      },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/links', tag: 'addons', summary: 'The apps this app is linked to (apps:link)',
      params: AppParams, response: z.array(LinkSchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => (await links.list(params.app)).map(linkJson),
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/links', tag: 'addons', summary: 'Give the app <NAME>_URL: another app\'s web process on the team network',
      params: AppParams, body: LinkBody, response: LinkSchema, status: 201, audit: 'app.link', errors: ['attachment_exists', 'addon_other_team'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, body, principal }) => {
        await access.check(principal, { action: 'app:view', app: body.app });
        return linkJson(await links.link(params.app, body.app, body.as));
      },
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/links/:other', tag: 'addons', summary: 'Remove a link',
      params: LinkParams, audit: 'app.unlink', errors: ['attachment_not_found'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params }) => { await links.unlink(params.app, params.other); },
    }),
  ];
}
