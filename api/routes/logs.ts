/**
 * `GET /apps/:app/logs?lines=&ps=&source=&since=&tail=1`: an app's log stream as Heroku's text
 * lines, `text/plain`; with `tail=1` the answer stays open (chunked) and follows new lines, across
 * deploys, until the client goes. docs/logs.md.
 */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import { formatLine, type LogLine } from '../../engine/logs/log-line';
import { parseLines, parsePs, parseSince, parseSource, type LogQuery } from '../../engine/logs/log-query';
import type { LogService } from '../../engine/logs/log-service';
import type { DrainsService } from '../../engine/logs/drains/drains-service';

export interface LogRoutesDeps {
  logs: LogService;
  drains?: DrainsService;
}

function one(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SlipwayError('invalid_request', `Give ${name} once.`);
  return value;
}

export function logQueryFrom(params: { lines?: string; ps?: string; source?: string; since?: string }, nowMs: number): LogQuery {
  const lines = params.lines === undefined ? undefined : /^\d{1,7}$/.test(params.lines) ? Number(params.lines) : NaN;
  return {
    lines: parseLines(lines),
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

export function logRoutes({ logs, drains }: LogRoutesDeps): Router {
  const router = Router();
  if (drains) {
    router.get('/apps/:app/drains', async (req, res) => {
      res.json(await drains.list(String(req.params.app ?? '')));
    });
    router.post('/apps/:app/drains', async (req, res) => {
      const url = (req.body as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string' || url === '') throw new SlipwayError('invalid_request', 'Give the drain\'s URL: {"url": "syslog+tls://logs.example.com:6514"}.');
      res.status(201).json(await drains.add(String(req.params.app ?? ''), url, null));
    });
    router.delete('/apps/:app/drains/:drain', async (req, res) => {
      res.json(await drains.remove(String(req.params.app ?? ''), String(req.params.drain ?? ''), null));
    });
  }
  router.get('/apps/:app/logs', async (req, res) => {
    const app = String(req.params.app ?? '');
    const query = logQueryFrom({ lines: one(req, 'lines'), ps: one(req, 'ps'), source: one(req, 'source'), since: one(req, 'since') }, Date.now());
    const tail = one(req, 'tail');
    if (tail !== '1' && tail !== 'true') {
      const lines = await logs.history(app, query);
      res.type('text/plain; charset=utf-8').send(text(lines));
      return;
    }
    let stop: (() => void) | null = null;
    let gone = false;
    res.on('close', () => { gone = true; stop?.(); });
    const started = logs.follow(app, query, {
      onLines: (lines) => {
        if (!res.headersSent) {
          res.status(200).type('text/plain; charset=utf-8');
          res.setHeader('cache-control', 'no-store');
          res.setHeader('x-accel-buffering', 'no');
          res.flushHeaders();
        }
        if (lines.length > 0) res.write(text(lines));
      },
    });
    stop = await started;
    if (gone) stop();
  });
  return router;
}
