/** The add-on calls of the API (docs/addons.md), typed from api/schemas/addons.ts, over the shared ApiClient. */
import type { AddonJson, BackupJson, BackupScheduleJson, CreateAddonRequest, LinkJson } from '../api/schemas/addons';
import type { ApiClient } from './api-client';

/** Calls that release apps (attach, detach, rotate, restore) answer once done. */
const LONG_TIMEOUT_MS = 10 * 60_000;
const e = encodeURIComponent;

export class AddonsClient {
  constructor(private readonly api: ApiClient) {}

  list(app?: string): Promise<AddonJson[]> {
    return this.api.call('GET', app === undefined ? '/addons' : `/addons?app=${e(app)}`);
  }

  create(app: string, body: CreateAddonRequest): Promise<AddonJson> {
    return this.api.call('POST', `/apps/${e(app)}/addons`, body);
  }

  info(name: string, reveal = false): Promise<AddonJson> {
    return this.api.call('GET', `/addons/${e(name)}${reveal ? '?reveal=true' : ''}`);
  }

  destroy(name: string, confirm: string, detachAll: boolean): Promise<void> {
    return this.api.call('DELETE', `/addons/${e(name)}?confirm=${e(confirm)}${detachAll ? '&detachAll=true' : ''}`, undefined, LONG_TIMEOUT_MS);
  }

  attach(name: string, app: string, as?: string): Promise<AddonJson> {
    return this.api.call('POST', `/addons/${e(name)}/attachments`, as === undefined ? { app } : { app, as }, LONG_TIMEOUT_MS);
  }

  detach(name: string, app: string): Promise<AddonJson> {
    return this.api.call('DELETE', `/addons/${e(name)}/attachments/${e(app)}`, undefined, LONG_TIMEOUT_MS);
  }

  rotate(name: string): Promise<AddonJson> {
    return this.api.call('POST', `/addons/${e(name)}/credentials/rotate`, {}, LONG_TIMEOUT_MS);
  }

  backups(name: string): Promise<BackupJson[]> {
    return this.api.call('GET', `/addons/${e(name)}/backups`);
  }

  backup(name: string, id: string): Promise<BackupJson> {
    return this.api.call('GET', `/addons/${e(name)}/backups/${e(id)}`);
  }

  capture(name: string): Promise<BackupJson> {
    return this.api.call('POST', `/addons/${e(name)}/backups`, {});
  }

  download(name: string, id?: string): Promise<ReadableStream<Uint8Array>> {
    return this.api.download(`/addons/${e(name)}/backups/${e(id ?? 'latest')}/download`);
  }

  restore(name: string, id: string, confirm: string): Promise<BackupJson> {
    return this.api.call('POST', `/addons/${e(name)}/backups/${e(id)}/restore`, { confirm }, LONG_TIMEOUT_MS);
  }

  schedule(name: string, at: string, keep: number): Promise<BackupScheduleJson> {
    return this.api.call('PUT', `/addons/${e(name)}/backup-schedule`, { at, keep });
  }

  unschedule(name: string): Promise<void> {
    return this.api.call('DELETE', `/addons/${e(name)}/backup-schedule`);
  }

  links(app: string): Promise<LinkJson[]> {
    return this.api.call('GET', `/apps/${e(app)}/links`);
  }

  link(app: string, other: string, as?: string): Promise<LinkJson> {
    return this.api.call('POST', `/apps/${e(app)}/links`, as === undefined ? { app: other } : { app: other, as }, LONG_TIMEOUT_MS);
  }

  unlink(app: string, other: string): Promise<void> {
    return this.api.call('DELETE', `/apps/${e(app)}/links/${e(other)}`, undefined, LONG_TIMEOUT_MS);
  }
}
