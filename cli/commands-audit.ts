/**
 * `audit`: who did what, where and with what result, as a table; `-t` prints the recent events
 * and then follows the live stream (`GET /audit/stream`, Server-Sent Events), reconnecting
 * after a drop from the last event it printed.
 */
import { parseDuration } from '../lib/duration';
import { AccountsApi, queryString } from './accounts-api';
import type { AuditEvent, AuditFilter } from './accounts-types';
import { CliError } from './cli-error';
import type { AccountContext } from './commands-auth';
import { follow } from './event-stream';
import * as format from './format';
import { auditLine, auditTable } from './format-accounts';

export const AUDIT_DEFAULT_COUNT = 50;
export const AUDIT_MAX_COUNT = 500;

export interface AuditOptions {
  app?: string;
  team?: string;
  user?: string;
  since?: string;
  num?: string;
  tail?: boolean;
  json?: boolean;
}

/** The filter the API takes; `--since` is a duration back from now or an ISO time, passed on as given. */
export function auditFilter(opts: AuditOptions): AuditFilter {
  const filter: AuditFilter = {};
  if (opts.app !== undefined) filter.app = opts.app;
  if (opts.team !== undefined) filter.team = opts.team;
  if (opts.user !== undefined) filter.user = opts.user;
  if (opts.since !== undefined) {
    if (parseDuration(opts.since) === null && Number.isNaN(Date.parse(opts.since))) {
      throw new CliError(`--since ${opts.since} is neither a duration (30m, 1h, 7d) nor a time (2026-12-05T10:00:00Z).`);
    }
    filter.since = opts.since;
  }
  const num = opts.num === undefined ? AUDIT_DEFAULT_COUNT : Number(opts.num);
  if (!Number.isInteger(num) || num < 1 || num > AUDIT_MAX_COUNT) throw new CliError(`-n ${opts.num} is not a number of events from 1 to ${AUDIT_MAX_COUNT}.`);
  filter.limit = num;
  return filter;
}

/** An event of the stream, or null for anything that is not one (kept out rather than printed half). */
export function parseAuditEvent(data: string): AuditEvent | null {
  try {
    const value = JSON.parse(data) as AuditEvent;
    return typeof value === 'object' && value !== null && typeof value.action === 'string' ? value : null;
  } catch {
    return null;
  }
}

export async function audit(ctx: AccountContext, opts: AuditOptions): Promise<void> {
  const filter = auditFilter(opts);
  const client = ctx.client();
  const page = await new AccountsApi(client).audit(filter);
  if (!opts.tail) {
    ctx.out(opts.json ? format.json(page.events) : auditTable(page.events, { color: ctx.color, now: ctx.now() }));
    return;
  }
  const print = (event: AuditEvent) => ctx.out(opts.json ? JSON.stringify(event) : auditLine(event, ctx.color));
  for (const event of [...page.events].reverse()) print(event);
  const streamQuery = queryString({ app: filter.app, team: filter.team, user: filter.user });
  await follow({
    lastEventId: page.events[0] === undefined ? null : String(page.events[0].id),
    open: (lastEventId, signal) => client.openStream(`/audit/stream${streamQuery}`, lastEventId === null ? {} : { 'last-event-id': lastEventId }, signal),
    onEvent: (event) => {
      if (event.event !== 'audit') return;
      const parsed = parseAuditEvent(event.data);
      if (parsed) print(parsed);
    },
    onReconnect: (reason, delayMs) => ctx.warn(format.colors(ctx.color).yellow(` ▸    The audit stream stopped (${reason}); reconnecting in ${Math.round(delayMs / 1000)}s...`)),
    signal: ctx.signal,
    sleep: ctx.sleep,
  });
}
