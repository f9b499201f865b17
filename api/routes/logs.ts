/**
 * `GET /apps/:app/logs?lines=&ps=&source=&since=&tail=1`: an app's log stream as Heroku's text
 * lines, `text/plain`; with `tail=1` the answer stays open (chunked) and follows new lines, across
 * deploys, until the client goes. Reading logs needs `operate` (Heroku's rule). Drains:
 * `/apps/:app/drains`. docs/logs.md.
 */
import { z } from 'zod';
import { formatLine, type LogLine } from '../../engine/logs/log-line';
import { parseLines, parsePs, parseSince, parseSource, type LogQuery } from '../../engine/logs/log-query';
import type { LogService } from '../../engine/logs/log-service';
import type { DrainsService } from '../../engine/logs/drains/drains-service';
import type { Principal } from '../../engine/policy';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { AddDrainBody, DrainParams, LogDrainSchema, LogsQuery } from '../schemas/logs';

export interface LogRoutesDeps {
  logs: LogService;
  drains?: DrainsService;
}

export function logQueryFrom(params: z.infer<typeof LogsQuery>, nowMs: number): LogQuery {
  return {
    lines: parseLines(params.lines === undefined ? undefined : Number(params.lines)),
    ...(params.ps ? { ps: parsePs(params.ps) } : {}),
    ...(params.source ? { source: parseSource(params.source) } : {}),
    ...(params.since ? { sinceMicros: parseSince(params.since, nowMs) } : {}),
  };
}

function text(lines: readonly LogLine[]): string {
  let out = '';
  for (const line of lines) out += `${formatLine(line)}\n`;
  return out;
}

function actorOf(principal: Principal): string | null {
  return principal.kind === 'user' ? principal.userName : null;
}

export function logRoutes({ logs, drains }: LogRoutesDeps): Route[] {
  const routes: Route[] = [
    defineRoute({
      method: 'get', path: '/apps/:app/logs', tag: 'logs', summary: 'The app\'s log stream (app, router, build and platform lines); tail=1 follows it live',
      params: AppParams, query: LogsQuery, produces: 'text/plain',
      access: ({ params }) => ({ action: 'app:operate', app: params.app }),
      handler: async ({ params, query, req, res }) => {
        const logQuery = logQueryFrom(query, Date.now());
        if (query.tail !== '1' && query.tail !== 'true') {
          const lines = await logs.history(params.app, logQuery);
          res.type('text/plain; charset=utf-8').send(text(lines));
          return;
        }
        let stop: (() => void) | null = null;
        let gone = false;
        req.on('close', () => { gone = true; stop?.(); });
        res.on('close', () => { gone = true; stop?.(); });
        stop = await logs.follow(params.app, logQuery, {
          onLines: (lines) => {
            if (!res.headersSent) {
              res.status(200).type('text/plain; charset=utf-8');
              res.setHeader('cache-control', 'no-store');
              res.setHeader('x-accel-buffering', 'no');
              res.flushHeaders();
            }
            if (lines.length > 0) res.write(text(lines));
          },
          // The app was destroyed: the stream ends, the client sees its end.
          onEnd: () => { stop?.(); if (!res.writableEnded) res.end(); },
        });
        if (gone) stop();
      },
    }),
  ];
  if (drains) {
    routes.push(
      defineRoute({
        method: 'get', path: '/apps/:app/drains', tag: 'logs', summary: 'The app\'s log drains',
        params: AppParams, response: z.array(LogDrainSchema),
        access: ({ params }) => ({ action: 'app:operate', app: params.app }),
        handler: ({ params }) => drains.list(params.app),
      }),
      defineRoute({
        method: 'post', path: '/apps/:app/drains', tag: 'logs', summary: 'Add a log drain (syslog://, syslog+tls://, https://)',
        params: AppParams, body: AddDrainBody, response: LogDrainSchema, status: 201, audit: 'drain.add',
        errors: ['invalid_drain', 'drain_address_refused', 'drain_exists'],
        access: ({ params }) => ({ action: 'app:manage', app: params.app }),
        handler: ({ params, body, principal }) => drains.add(params.app, body.url, actorOf(principal)),
      }),
      defineRoute({
        method: 'delete', path: '/apps/:app/drains/:drain', tag: 'logs', summary: 'Remove a log drain',
        params: DrainParams, response: LogDrainSchema, audit: 'drain.remove', errors: ['drain_not_found'],
        access: ({ params }) => ({ action: 'app:manage', app: params.app }),
        handler: ({ params, principal }) => drains.remove(params.app, params.drain, actorOf(principal)),
      }),
    );
  }
  return routes;
}
