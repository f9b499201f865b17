/**
 * Schemas shared by the API's routes: what the server validates and answers, and (through
 * `z.infer`) the types the CLI and the console read. Modules under api/schemas do no I/O, so the
 * CLI and the console can import them.
 */
import { z } from 'zod';

/** Path parameters naming an app; the policy answers 404 for names that are not an app the caller sees. */
export const AppParams = z.object({ app: z.string().min(1).max(100).describe('The app\'s name') });

/** ISO 8601 timestamps in UTC, as `Date.toISOString()` writes them. */
export const Timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

/** Who caused a build or release: a user's name, or null for Slipway itself. */
export const Actor = z.string().nullable();
