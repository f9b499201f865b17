/**
 * `GET /api/v1/audit/stream`: the audit log followed live as Server-Sent Events. The follower is
 * subscribed before the backlog is read, so an entry committed meanwhile is neither lost nor sent
 * twice; a client that reconnects with `Last-Event-ID` gets what it missed first (bounded), then
 * the live entries. Comments every HEARTBEAT_MS keep proxies from closing an idle stream and let
 * the client notice a dead one.
 */
import type { Request, Response } from 'express';

export interface StreamedEntry {
  id: number;
}

/** What the stream reads: pages newest first (`before` cursor), and a live subscription. */
export interface AuditFeed<E extends StreamedEntry> {
  page(before: number | undefined, limit: number): Promise<{ entries: E[]; next: number | null }>;
  follow(onEntry: (entry: E) => void): Promise<() => void>;
}

export const HEARTBEAT_MS = 15_000;
/** Reconnecting clients get at most this many missed entries; older ones are read with GET /audit. */
export const RESUME_MAX = 2000;
const RESUME_PAGE = 500;

/** A Last-Event-ID header as an entry id, or null (absent or not one of ours). */
export function lastEventId(header: string | undefined): number | null {
  if (header === undefined || !/^\d{1,15}$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** The entries after `after`, oldest first, at most RESUME_MAX (the newest ones when more were missed). */
export async function missedSince<E extends StreamedEntry>(feed: AuditFeed<E>, after: number): Promise<{ entries: E[]; truncated: boolean }> {
  const newestFirst: E[] = [];
  let before: number | undefined;
  for (;;) {
    const { entries, next } = await feed.page(before, RESUME_PAGE);
    for (const entry of entries) {
      if (entry.id <= after) return { entries: newestFirst.reverse(), truncated: false };
      newestFirst.push(entry);
      if (newestFirst.length >= RESUME_MAX) return { entries: newestFirst.reverse(), truncated: true };
    }
    if (next === null) return { entries: newestFirst.reverse(), truncated: false };
    before = next;
  }
}

export function sseFrame(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function streamAudit<E extends StreamedEntry>(
  req: Request, res: Response, feed: AuditFeed<E>, toJson: (entry: E) => unknown, heartbeatMs = HEARTBEAT_MS,
): Promise<void> {
  let sentUpTo = lastEventId(req.header('last-event-id')) ?? 0;
  let live = false;
  const buffered: E[] = [];
  const send = (entry: E) => {
    if (entry.id <= sentUpTo) return;
    sentUpTo = entry.id;
    res.write(sseFrame(entry.id, 'audit', toJson(entry)));
  };
  const unsubscribe = await feed.follow((entry) => (live ? send(entry) : buffered.push(entry)));
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  res.on('close', stop);
  try {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const resumeFrom = lastEventId(req.header('last-event-id'));
    if (resumeFrom !== null) {
      const missed = await missedSince(feed, resumeFrom);
      if (missed.truncated) res.write(`: more than ${RESUME_MAX} entries were missed; read the older ones with GET /api/v1/audit\n\n`);
      for (const entry of missed.entries) send(entry);
    }
    for (const entry of buffered.splice(0).sort((a, b) => a.id - b.id)) send(entry);
    live = true;
    heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    heartbeat.unref();
  } catch (error) {
    stop();
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
