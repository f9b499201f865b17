/**
 * `GET /api/v1/events`: the console's live updates as Server-Sent Events (docs/console.md, "Live
 * updates"). Each event names what changed; the page then asks the API for the new state with
 * plain requests, so the stream carries no data a user could not read anyway. A client that
 * reconnects with `Last-Event-ID` gets the events it missed, or a `resync` event when they are
 * no longer known (the API restarted, or more than the buffer happened): it then reloads its view.
 */
import type { NextFunction, Request, Response } from 'express';
import type { ChangeEvent, ChangeFeed } from '../engine/change-feed';
import type { AccessChecker, Principal } from '../engine/policy';
import { defineRoute, type Route } from './route-table';

export interface EventRoutesDeps {
  feed: ChangeFeed;
  /** A comment line this often keeps proxies from closing a quiet stream and finds dead clients. */
  heartbeatMs?: number;
}

/** How long a browser waits before reconnecting after the stream dropped. */
const RETRY_MS = 3000;

function frame(event: ChangeEvent): string {
  return `id: ${event.id}\nevent: change\ndata: ${JSON.stringify({ kind: event.kind, app: event.app, at: event.at })}\n\n`;
}

/** Whether the caller may see an app's events: the one policy's `app:view`. */
function viewer(access: AccessChecker, principal: Principal): (event: ChangeEvent) => Promise<boolean> {
  const known = new Map<string, boolean>();
  return async (event) => {
    if (event.app === null) return true;
    // Rights change rarely within one stream; an app's answer is asked once per stream.
    let allowed = known.get(event.app);
    if (allowed === undefined) {
      allowed = await access.check(principal, { action: 'app:view', app: event.app }).then(() => true, () => false);
      known.set(event.app, allowed);
    }
    return allowed;
  };
}

export function eventRoutes({ feed, heartbeatMs = 25_000 }: EventRoutesDeps, access: AccessChecker): Route[] {
  return [defineRoute({
    method: 'get', path: '/events', tag: 'console', summary: 'Live changes as Server-Sent Events (resume with Last-Event-ID)',
    produces: 'text/event-stream', access: () => ({ action: 'account' }),
    handler: ({ req, res, principal }) => { stream(req, res, feed, viewer(access, principal), heartbeatMs); },
  })];
}

function stream(req: Request, res: Response, feed: ChangeFeed, visible: (event: ChangeEvent) => Promise<boolean>, heartbeatMs: number): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n\n`);

  // Events are written in order even though the access check is asynchronous.
  let queue: Promise<void> = Promise.resolve();
  const send = (event: ChangeEvent): void => {
    queue = queue.then(async () => { if (!res.writableEnded && await visible(event)) res.write(frame(event)); }).catch(() => { res.end(); });
  };

  const lastEventId = req.header('last-event-id');
  if (lastEventId === undefined) {
    res.write(`id: ${feed.lastId()}\nevent: hello\ndata: {}\n\n`);
  } else {
    const replay = feed.since(lastEventId);
    if ('resync' in replay) res.write(`id: ${feed.lastId()}\nevent: resync\ndata: {}\n\n`);
    else for (const event of replay.events) send(event);
  }

  const unsubscribe = feed.subscribe(send, () => res.end());
  const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();
  req.on('close', () => { clearInterval(heartbeat); unsubscribe(); });
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Publishes a change for every API request that changed an app and succeeded, whoever made it
 * (console or CLI). Changes made outside the API (a git push, the reconciler) reach the feed
 * through the route watch in platform/console-changes.ts.
 */
export function publishApiChanges(feed: ChangeFeed) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE.has(req.method)) { next(); return; }
    const match = /^\/apps(?:\/([^/]+))?(\/.*)?$/.exec(req.path);
    if (match) {
      res.on('finish', () => {
        if (res.statusCode >= 400) return;
        const app = match[1] === undefined ? (req.body as { name?: unknown } | undefined)?.name : decodeURIComponent(match[1]);
        const listChanged = match[1] === undefined || (match[2] === undefined && req.method !== 'GET');
        feed.publish(listChanged ? 'apps' : 'app', typeof app === 'string' ? app : null);
      });
    }
    next();
  };
}
