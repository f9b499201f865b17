/**
 * The add-on API's shapes (docs/addons.md): what the routes validate and answer, and through
 * `z.infer` the types the CLI reads. No I/O.
 */
import { z } from 'zod';
import { Timestamp } from './common';
import { hint } from './hint';

export const AddonParams = z.object({ name: z.string().min(1).max(100).describe('The add-on\'s name, e.g. postgresql-curly-12345') });
export const AddonAppParams = AddonParams.extend({ app: z.string().min(1).max(100).describe('The app\'s name') });
export const BackupParams = AddonParams.extend({ id: z.string().min(1).max(20).describe('b001 (or `latest` to download the newest verified one)') });
export const LinkParams = z.object({ app: z.string().min(1).max(100), other: z.string().min(1).max(100) });

export const AddonAttachmentSchema = z.object({
  app: z.string(),
  name: z.string().describe('DATABASE, REDIS or the --as name'),
  configKeys: z.array(z.string()).describe('The config vars it owns on the app'),
  bound: z.boolean().describe('The app\'s config holds the add-on\'s current URL'),
});

export const AddonSchema = z.object({
  name: z.string(),
  kind: z.enum(['postgresql', 'mysql', 'redis', 'external']),
  plan: z.enum(['small', 'medium']),
  team: z.number().int(),
  state: z.enum(['provisioning', 'available', 'failed', 'deprovisioning']),
  health: z.enum(['healthy', 'unhealthy', 'unknown']),
  stateReason: z.string().nullable().describe('While provisioning: the current step; failed or unhealthy: why'),
  url: z.string().nullable().describe('The URL bound apps get; its password hidden unless ?reveal=true; null while provisioning'),
  attachments: z.array(AddonAttachmentSchema),
  createdAt: Timestamp,
});

const kindHint = 'Say which kind: {"kind": "postgresql"} (or mysql, redis, external with "url")';
export const CreateAddonBody = z.object({
  kind: z.string(hint(kindHint)).max(40),
  plan: z.string().max(40).optional(),
  as: z.string().max(60).optional(),
  url: z.string().max(4096).optional(),
}, hint(kindHint));

export const AddonListQuery = z.object({ app: z.string().min(1).max(100).optional() });
export const AddonInfoQuery = z.object({ reveal: z.enum(['true', 'false']).optional() });
export const DestroyQuery = z.object({ confirm: z.string().max(100).optional(), detachAll: z.enum(['true', 'false']).optional() });

const attachHint = 'Say which app: {"app": "my-app", "as": "MAIN_DB"}';
export const AttachBody = z.object({ app: z.string(hint(attachHint)).min(1).max(100), as: z.string().max(60).optional() }, hint(attachHint));

export const BackupSchema = z.object({
  id: z.string().describe('b001, b002, … per add-on'),
  status: z.enum(['pending', 'running', 'succeeded', 'verified', 'failed']),
  trigger: z.enum(['manual', 'scheduled']),
  size: z.number().nullable(),
  durationMs: z.number().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  error: z.string().nullable().describe('Why it failed'),
  counts: z.record(z.string(), z.number()).nullable().describe('What the dump holds: tables → rows, Redis dbs → keys (counted by the verification; null until verified)'),
  createdAt: Timestamp,
});

export const RestoreBody = z.object({ confirm: z.string().max(100).optional() });

const scheduleHint = 'Give the time and how many to keep: {"at": "02:00", "keep": 7}';
export const ScheduleBody = z.object({ at: z.string(hint(scheduleHint)).max(10), keep: z.number(hint(scheduleHint)).int() }, hint(scheduleHint));
export const BackupScheduleSchema = z.object({ at: z.string(), keep: z.number().int(), lastRunAt: Timestamp.nullable() });

export const LinkBody = z.object({ app: z.string(hint('Say which app to link to: {"app": "my-api"}')).min(1).max(100), as: z.string().max(60).optional() });
export const LinkSchema = z.object({ app: z.string(), target: z.string(), name: z.string(), configKey: z.string(), url: z.string() });

export type AddonAttachmentJson = z.infer<typeof AddonAttachmentSchema>;
export type AddonJson = z.infer<typeof AddonSchema>;
export type CreateAddonRequest = z.infer<typeof CreateAddonBody>;
export type BackupJson = z.infer<typeof BackupSchema>;
export type BackupScheduleJson = z.infer<typeof BackupScheduleSchema>;
export type LinkJson = z.infer<typeof LinkSchema>;
