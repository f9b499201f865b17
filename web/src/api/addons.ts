/** Add-ons, their attachments and backups (api/routes/addons.ts, docs/addons.md). */
import type { AddonJson, BackupJson, CreateAddonRequest } from '../../../api/schemas/addons';
import { call, enc } from './client';

export type Addon = AddonJson;
export type Backup = BackupJson;
export type CreateAddon = CreateAddonRequest;
export const ADDON_KINDS = ['postgresql', 'mysql', 'redis'] as const;
export const ADDON_PLANS = ['small', 'medium'] as const;

export const addonsApi = {
  forApp: (app: string) => call<Addon[]>('GET', `/addons?app=${enc(app)}`),
  create: (app: string, body: CreateAddon) => call<Addon>('POST', `/apps/${enc(app)}/addons`, body),
  attach: (name: string, app: string, as?: string) => call<Addon>('POST', `/addons/${enc(name)}/attachments`, as ? { app, as } : { app }),
  detach: (name: string, app: string) => call<unknown>('DELETE', `/addons/${enc(name)}/attachments/${enc(app)}`),
  destroy: (name: string, confirm: string, detachAll: boolean) =>
    call<unknown>('DELETE', `/addons/${enc(name)}?confirm=${enc(confirm)}${detachAll ? '&detachAll=true' : ''}`),
  rotate: (name: string) => call<unknown>('POST', `/addons/${enc(name)}/credentials/rotate`),
  backups: (name: string) => call<Backup[]>('GET', `/addons/${enc(name)}/backups`),
  capture: (name: string) => call<Backup>('POST', `/addons/${enc(name)}/backups`),
  restore: (name: string, id: string, confirm: string) => call<Backup>('POST', `/addons/${enc(name)}/backups/${enc(id)}/restore`, { confirm }),
  /** A plain link: the browser downloads it with the session cookie (a GET needs no CSRF token). */
  downloadUrl: (name: string, id: string) => `/api/v1/addons/${enc(name)}/backups/${enc(id)}/download`,
};
