/**
 * The deploy timeline (docs/deploy-timeline.md): each push, image deploy, config change and rollback
 * with its phases. Read with `app:view`; a failed phase's explaining lines come from build and app
 * logs and need `app:operate`: without it `lines` is null and the reason alone is given.
 */
import { z } from 'zod';
import { Timestamp } from './common';

export const PhaseNameSchema = z.enum(['receive', 'build', 'push', 'release-phase', 'start', 'checks', 'routed', 'drained']);
export type PhaseNameJson = z.infer<typeof PhaseNameSchema>;

/** `pending`: not reached (yet, while the deploy runs; ever, once it ended). */
export const PhaseOutcomeSchema = z.enum(['pending', 'running', 'ok', 'failed', 'skipped']);

export const PhaseSchema = z.object({
  name: PhaseNameSchema,
  outcome: PhaseOutcomeSchema,
  startedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  durationMs: z.number().nullable(),
  /** What ran: `buildpacks` or `Dockerfile`, the release command, the processes started. */
  detail: z.string().nullable(),
  /** Why it failed. */
  reason: z.string().nullable(),
  /** The last lines that explain a failure; null when the caller may not read logs (needs operate). */
  lines: z.array(z.string()).nullable(),
});
export type Phase = z.infer<typeof PhaseSchema>;

export const DeploySchema = z.object({
  id: z.number().int(),
  kind: z.enum(['push', 'image', 'config', 'rollback']),
  status: z.enum(['running', 'succeeded', 'failed']),
  commit: z.string().nullable(),
  buildId: z.string().nullable(),
  release: z.number().int().nullable(),
  createdBy: z.string().nullable(),
  startedAt: Timestamp,
  endedAt: Timestamp.nullable(),
  durationMs: z.number().nullable(),
  reason: z.string().nullable(),
  /** All eight phases, in order. */
  phases: z.array(PhaseSchema),
});
export type DeployJson = z.infer<typeof DeploySchema>;

export const DeploysQuery = z.object({
  limit: z.string().regex(/^\d{1,3}$/, 'limit: a number from 1 to 100').optional(),
});
