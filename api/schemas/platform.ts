/** Platform-wide answers: info, keys, buildpacks, build cache, registry, status. */
import { z } from 'zod';
import { Timestamp } from './common';

export const InfoSchema = z.object({ domain: z.string(), sshHost: z.string(), sshPort: z.number().int(), version: z.string() });
export type Info = z.infer<typeof InfoSchema>;

export const KeySchema = z.object({ id: z.number().int(), name: z.string(), fingerprint: z.string(), createdAt: Timestamp });
export type Key = z.infer<typeof KeySchema>;

export const AppBuildpackSchema = z.object({
  index: z.number().int(),
  buildpack: z.string(),
  kind: z.enum(['builtin', 'git', 'tarball', 'path']),
});
export type AppBuildpack = z.infer<typeof AppBuildpackSchema>;

export const BuildCacheSchema = z.object({
  volume: z.string(),
  exists: z.boolean(),
  volumeBytes: z.number(),
  runtimeLayerBytes: z.number(),
  sizeBytes: z.number(),
});
export type BuildCache = z.infer<typeof BuildCacheSchema>;

export const RegistryInfoSchema = z.object({
  registry: z.string(),
  repositories: z.number().int(),
  images: z.number().int(),
  blobs: z.number().int(),
  bytes: z.number(),
});
export type RegistryInfo = z.infer<typeof RegistryInfoSchema>;

export const PlatformStatusSchema = z.object({
  ok: z.boolean(),
  components: z.array(z.object({ component: z.string(), ok: z.boolean(), detail: z.string() })),
});
export type PlatformStatusView = z.infer<typeof PlatformStatusSchema>;

/** `GET /capacity`: each host (node) with the memory and CPU its instances commit and what is left. */
export const HostUsageSchema = z.object({
  name: z.string(),
  instances: z.number().int(),
  memory: z.object({ totalMb: z.number(), reservedMb: z.number(), committedMb: z.number(), freeMb: z.number() }),
  cpu: z.object({ cores: z.number(), allocatable: z.number(), committed: z.number(), free: z.number() }),
});
export const CapacitySchema = z.object({ hosts: z.array(HostUsageSchema) });
export type CapacityView = z.infer<typeof CapacitySchema>;
