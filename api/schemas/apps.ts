/** Apps, releases, builds, formation and instances (docs/contracts/api.md). */
import { z } from 'zod';
import { Timestamp } from './common';
import { PhaseSchema } from './deploys';
import { AppPermissionSchema } from './accounts';

export const ProcessTypes = z.record(z.string(), z.string());

export const AppSchema = z.object({
  name: z.string(),
  url: z.string(),
  gitUrl: z.string(),
  createdAt: Timestamp,
  currentRelease: z.number().int().nullable(),
  /** The team that owns the app. */
  team: z.string().optional(),
});
export type App = z.infer<typeof AppSchema>;

export const ReleaseStatus = z.enum(['pending', 'succeeded', 'failed']);
export type ReleaseStatus = z.infer<typeof ReleaseStatus>;

export const ReleaseSchema = z.object({
  version: z.number().int(),
  description: z.string(),
  status: ReleaseStatus,
  current: z.boolean(),
  buildId: z.string().nullable(),
  commit: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: Timestamp,
  /** The user whose push, config change or rollback made it; null when the platform did. */
  createdBy: z.string().nullable().optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;

/** One release with its build's image and process types and its config's keys, never values. */
export const ReleaseInfoSchema = ReleaseSchema.extend({
  image: z.string().nullable(),
  processTypes: ProcessTypes,
  configKeys: z.array(z.string()),
  /** The deploy's phases with their durations (docs/deploy-timeline.md); empty for releases made before it was recorded. */
  phases: z.array(PhaseSchema).optional(),
});
export type ReleaseInfo = z.infer<typeof ReleaseInfoSchema>;

export const InstanceSchema = z.object({
  id: z.string(),
  type: z.string(),
  state: z.string(),
  release: z.number().int().nullable(),
  url: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  restartCount: z.number().int(),
});
export type Instance = z.infer<typeof InstanceSchema>;

/** One process type of the formation with its size. */
export const FormationEntrySchema = z.object({
  type: z.string(),
  quantity: z.number().int(),
  memoryMb: z.number(),
  cpu: z.number(),
});
export type FormationEntry = z.infer<typeof FormationEntrySchema>;
export type SizedFormationEntry = FormationEntry;

export const AppInfoSchema = AppSchema.extend({
  formation: z.array(FormationEntrySchema),
  instances: z.array(InstanceSchema),
  release: ReleaseSchema.nullable(),
  /**
   * What the caller may do on this app (engine/policy.ts, the token's scope included), so a client
   * shows only the buttons that will work; the API still decides every request.
   */
  permissions: z.array(AppPermissionSchema).optional(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const PsViewSchema = z.object({ formation: z.array(FormationEntrySchema), instances: z.array(InstanceSchema) });
export type PsView = z.infer<typeof PsViewSchema>;
export type PsInstance = Instance;

export const BuildSchema = z.object({
  id: z.string(),
  status: z.string(),
  commit: z.string().nullable(),
  image: z.string().nullable(),
  digest: z.string().nullable(),
  processTypes: ProcessTypes,
  durationMs: z.number().nullable(),
  /** Bytes, the stack included. */
  imageSize: z.number().nullable().optional(),
  /** The image `deploy --image` imported. */
  sourceImage: z.string().nullable().optional(),
  buildpacks: z.array(z.string()).optional(),
  createdAt: Timestamp,
  /** The user who pushed or deployed it; null when the platform did. */
  createdBy: z.string().nullable().optional(),
  /** `GET /apps/:app/builds/:id` only: the phases of the push that made it. */
  phases: z.array(PhaseSchema).optional(),
});
export type Build = z.infer<typeof BuildSchema>;

/** A build's log as the push showed it. */
export const BuildOutputSchema = z.object({ id: z.string(), status: z.string(), output: z.string() });
export type BuildOutput = z.infer<typeof BuildOutputSchema>;

/** Config vars: `{KEY: value}`. */
export const ConfigVarsSchema = z.record(z.string(), z.string());
export type ConfigVars = z.infer<typeof ConfigVarsSchema>;

/** `{"KEY": "value", "OTHER": null}`: null unsets (validated in detail by engine/config-vars.ts). */
export const ConfigChangeSchema = z.record(z.string(), z.unknown());

export const MaintenanceSchema = z.object({ maintenance: z.boolean() });
export type MaintenanceState = z.infer<typeof MaintenanceSchema>;

/** What `deploy --image` made. */
export const ImageDeploySchema = z.object({ build: BuildSchema, release: ReleaseSchema });
export type ImageDeploy = z.infer<typeof ImageDeploySchema>;

/** A one-off process ("dyno" in Heroku's API). */
export const DynoSchema = z.object({
  id: z.string(),
  app: z.string(),
  type: z.literal('run'),
  release: z.number().int(),
  command: z.string(),
  state: z.enum(['starting', 'running', 'exited']),
  startedAt: Timestamp.nullable(),
});
export type Dyno = z.infer<typeof DynoSchema>;

export const StartedDynoSchema = DynoSchema.extend({
  attach: z.object({ url: z.string(), protocol: z.string(), expiresInSeconds: z.number(), tty: z.boolean() }).nullable(),
});
export type StartedDyno = z.infer<typeof StartedDynoSchema>;
