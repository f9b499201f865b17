/**
 * What the signed-in user may press on an app: `GET /apps/:app` answers `permissions`, computed by
 * the API's own policy (engine/policy.ts) for the caller. The console hides or disables what would
 * be refused; the API still decides every request.
 *
 *   const app = useAppPermissions(name);
 *   {can(app.data, 'manage') && <button>Remove</button>}
 */
import { api } from './api/client';
import type { AppInfo } from './api/types';
import { useResource, type Resource } from './resource';

export type AppPermission = NonNullable<AppInfo['permissions']>[number];
export type WithPermissions = Pick<AppInfo, 'permissions'>;

/** Heroku's four, in order, and what each lets one do (the forms' checkboxes say it). */
export const PERMISSIONS: readonly AppPermission[] = ['view', 'deploy', 'operate', 'manage'];
export const MEANING: Record<AppPermission, string> = {
  view: 'read everything but config values',
  deploy: 'push, build, release, roll back',
  operate: 'scale, restart, run, logs',
  manage: 'config, domains, add-ons, access, destroy',
};

/** Whether `permission` is held; false while the app is not loaded yet (nothing to press before we know). */
export function can(app: WithPermissions | null | undefined, permission: AppPermission): boolean {
  if (!app) return false;
  // An API that does not say (older than the field): show everything, the API still refuses.
  if (app.permissions === undefined) return true;
  return app.permissions.includes(permission);
}

/** Config values are readable with any permission beyond view (the policy's `app:config:read`). */
export function canReadConfig(app: WithPermissions | null | undefined): boolean {
  return can(app, 'deploy') || can(app, 'operate') || can(app, 'manage');
}

/** The app with the caller's permissions, reloaded when the app changes. */
export function useAppPermissions(app: string): Resource<AppInfo> {
  return useResource(() => api.apps.get(app), `app:${app}`, (c) => c.app === app);
}

/** A sentence for a page whose changes the caller may not make. */
export function missingNote(app: string, permission: AppPermission): string {
  return `You do not have the ${permission} permission on ${app}, so its changes are not offered here. An admin of the app's team can give it to you.`;
}
