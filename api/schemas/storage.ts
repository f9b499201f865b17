/** Persistent volumes of an app (docs/storage.md): what `storage` lists and `storage:mount|unmount` send. */
import { z } from 'zod';
import { Timestamp } from './common';
import { hint } from './hint';

export const MountSchema = z.object({
  /** Where the volume is mounted inside the instances. */
  path: z.string(),
  /** The process type whose instances get it. */
  processType: z.string(),
  /** The Docker volume's name, derived by Slipway. */
  volume: z.string(),
  /** The size given with --size in megabytes, recorded but not enforced on Docker (null: none given). */
  sizeMb: z.number().int().nullable(),
  /** `unmounted`: taken away from the instances, its data kept until `--destroy-data`. */
  state: z.enum(['mounted', 'unmounted']),
  createdAt: Timestamp,
});
export type MountJson = z.infer<typeof MountSchema>;

export const MountChangeSchema = z.object({
  mount: MountSchema,
  /** The release that rolled the change out; null when the app has not been deployed yet. */
  release: z.number().int().nullable(),
  /** Unmount with destroyData: whether the volume and its data were removed. */
  dataDestroyed: z.boolean(),
});
export type MountChangeJson = z.infer<typeof MountChangeSchema>;

const pathError = 'Give the path to mount at: {"path": "/data"} (and optionally "type": "worker", "size": "1g")';
export const MountRequestSchema = z.object({
  path: z.string(hint(pathError)).max(1000, hint(pathError)),
  type: z.string().max(100).optional(),
  size: z.string().max(100).optional(),
}, hint(pathError));
export type MountRequest = z.infer<typeof MountRequestSchema>;

/** DELETE's query: which mount, and whether its data goes too. Checked by the service (clear errors). */
export const UnmountQuerySchema = z.object({
  path: z.string().max(1000).optional(),
  type: z.string().max(100).optional(),
  destroyData: z.enum(['true', 'false']).optional(),
});
