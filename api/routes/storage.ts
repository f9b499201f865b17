/** Persistent volumes: `GET|POST|DELETE /apps/:app/storage` (docs/storage.md, docs/contracts/api.md). */
import { z } from 'zod';
import type { MountChange, StorageService } from '../../engine/storage/storage-service';
import type { StoredMount } from '../../engine/store/mounts-repo';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { MountChangeSchema, MountRequestSchema, MountSchema, UnmountQuerySchema } from '../schemas/storage';
import { actorOf } from '../../engine/policy';

export interface StorageRoutesDeps {
  storage: Pick<StorageService, 'list' | 'mount' | 'unmount'>;
}

export function mountJson(mount: StoredMount) {
  return {
    path: mount.path, processType: mount.processType, volume: mount.volume, sizeMb: mount.sizeMb,
    state: mount.mounted ? 'mounted' as const : 'unmounted' as const, createdAt: mount.createdAt.toISOString(),
  };
}

function changeJson(change: MountChange) {
  return { mount: mountJson(change.mount), release: change.release?.version ?? null, dataDestroyed: change.dataDestroyed === true };
}

export function storageRoutes({ storage }: StorageRoutesDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/storage', tag: 'storage', summary: 'The app\'s volume mounts, the unmounted ones whose data is kept too',
      params: AppParams, response: z.array(MountSchema),
      access: ({ params }) => ({ action: 'app:view', app: params.app }),
      handler: async ({ params }) => (await storage.list(params.app)).map(mountJson),
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/storage', tag: 'storage', summary: 'Mount a volume at a path in every instance of a process type (a new release)',
      params: AppParams, body: MountRequestSchema, response: MountChangeSchema, status: 201, audit: 'storage.mount',
      errors: ['invalid_mount_path', 'invalid_volume_size', 'mount_exists', 'deploy_failed'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, body, principal }) => changeJson(await storage.mount(params.app, body, undefined, actorOf(principal))),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/storage', tag: 'storage',
      summary: 'Unmount a volume (a new release); its data is kept unless destroyData=true',
      params: AppParams, query: UnmountQuerySchema, response: MountChangeSchema, audit: 'storage.unmount',
      errors: ['invalid_mount_path', 'mount_not_found', 'volume_in_use', 'deploy_failed'],
      access: ({ params }) => ({ action: 'app:manage', app: params.app }),
      handler: async ({ params, query, principal }) => changeJson(await storage.unmount(params.app,
        { path: query.path, type: query.type, destroyData: query.destroyData === 'true' }, undefined, actorOf(principal))),
    }),
  ];
}
