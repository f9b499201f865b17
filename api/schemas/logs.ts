/** Schemas of the log stream and drain routes (docs/logs.md); no I/O, the CLI imports them. */
import { z } from 'zod';
import { Timestamp } from './common';

export const LogsQuery = z.object({
  lines: z.string().regex(/^\d{1,6}$/, 'a number of lines, like 500').optional().describe('How many lines of history (default 100, at most 100000)'),
  ps: z.string().max(80).optional().describe('Only this process type (web) or instance (web.1)'),
  source: z.enum(['app', 'router', 'build', 'slipway']).optional().describe('Only lines of this source'),
  since: z.string().max(40).optional().describe('Only lines since then: 2h, 30m, 1d, or an ISO 8601 time'),
  tail: z.enum(['0', '1', 'true', 'false']).optional().describe('1: keep the answer open and follow new lines (chunked text)'),
});

export const LogDrainSchema = z.object({
  id: z.string(),
  url: z.string().describe('The drain\'s URL, any password hidden'),
  token: z.string().describe('Sent as Logplex-Drain-Token with each HTTPS batch'),
  createdAt: Timestamp,
  pending: z.number().int().describe('Lines waiting for the endpoint'),
});
export type LogDrain = z.infer<typeof LogDrainSchema>;

export const AddDrainBody = z.object({ url: z.string().min(1).max(1000).describe('syslog://host:port, syslog+tls://host:port or https://host/path') });

export const DrainParams = z.object({ app: z.string().min(1).max(100), drain: z.string().min(1).max(1000).describe('The drain\'s id, token or URL') });
