/**
 * The app's log stream for the Logs page: `GET /apps/:app/logs?tail=1` answers Heroku's text lines
 * and stays open (chunked), so the page reads it with fetch streaming. When the answer ends or the
 * network drops, the stream asks again from the last line's time (`since`) and leaves out the
 * lines it already gave, so a drop neither loses nor repeats lines; retries are spaced out, never
 * faster than every 10 s after the first quick one.
 */
import type { z } from 'zod';
import type { LogsQuery } from '../../../api/schemas/logs';
import { ApiError, enc } from './client';

export type LogsFilter = Pick<z.infer<typeof LogsQuery>, 'ps' | 'source'>;
export type LogSource = NonNullable<LogsFilter['source']>;
export const LOG_SOURCES: readonly LogSource[] = ['app', 'router', 'build', 'slipway'];

export interface LogLine {
  /** A number kept by the page for keys. */
  seq: number;
  /** `2026-12-05T18:00:00.123456+00:00`, as sent. */
  time: string;
  source: string;
  process: string;
  text: string;
  /** The whole line as sent. */
  raw: string;
}

const LINE = /^(\S+) ([a-z]+)\[([^\]]*)\]: ?(.*)$/;

let seq = 0;
export function parseLogLine(raw: string): LogLine {
  const match = LINE.exec(raw);
  seq += 1;
  if (!match) return { seq, time: '', source: '', process: '', text: raw, raw };
  return { seq, time: match[1]!, source: match[2]!, process: match[3]!, text: match[4]!, raw };
}

export type StreamState = 'connecting' | 'live' | 'down';

export interface LogStreamHandlers {
  onLines(lines: LogLine[]): void;
  onState(state: StreamState, error?: ApiError): void;
}

/** The first retry after a drop is quick (1 s); the next ones every 10 s. */
const FIRST_RETRY_MS = 1_000;
const RETRY_MS = 10_000;
/** At most this many lines are asked again on a resume (those since the last one seen). */
const RESUME_LINES = 5_000;

function query(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '').map(([k, v]) => `${k}=${enc(v)}`);
  return parts.join('&');
}

/** `2026-12-05T18:00:00.123456+00:00` → `2026-12-05T18:00:00.123Z` (the API's `since` reads milliseconds). */
export function sinceOf(time: string): string | null {
  const ms = Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * Follows the app's logs until `stop()`: first the last `lines` lines, then new ones as they come.
 * A refusal (403, 404, 401) ends it with that error; a network drop or the end of the answer is
 * retried from where it left off.
 */
export function followLogs(app: string, filter: LogsFilter, lines: number, handlers: LogStreamHandlers): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastTime: string | null = null;
  /** The raw lines given at `lastTime`, so that those sent again after a resume are left out. */
  let atLastTime = new Set<string>();
  let failures = 0;

  const accept = (raws: string[]): LogLine[] => {
    const fresh: LogLine[] = [];
    for (const raw of raws) {
      if (raw === '') continue;
      const line = parseLogLine(raw);
      if (lastTime !== null && line.time !== '') {
        if (line.time < lastTime) continue;
        if (line.time === lastTime && atLastTime.has(raw)) continue;
      }
      if (line.time !== '' && line.time !== lastTime) { lastTime = line.time; atLastTime = new Set(); }
      atLastTime.add(raw);
      fresh.push(line);
    }
    return fresh;
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    handlers.onState('connecting');
    controller = new AbortController();
    const since = lastTime === null ? null : sinceOf(lastTime);
    const path = `/api/v1/apps/${enc(app)}/logs?${query({
      tail: '1', source: filter.source, ps: filter.ps,
      ...(since === null ? { lines: String(lines) } : { since, lines: String(RESUME_LINES) }),
    })}`;
    try {
      const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'text/plain' }, signal: controller.signal });
      if (!response.ok) {
        let code = 'http_error';
        let message = `The API answered ${response.status}.`;
        try {
          const body = (await response.json()) as { error?: { code?: string; message?: string } };
          code = body.error?.code ?? code;
          message = body.error?.message ?? message;
        } catch { /* not JSON */ }
        const error = new ApiError(response.status, code, message);
        if (response.status >= 400 && response.status < 500) { stopped = true; handlers.onState('down', error); return; }
        throw error;
      }
      if (!response.body) throw new Error('This browser cannot read a streamed answer.');
      handlers.onState('live');
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (rest + value).split('\n');
        rest = parts.pop() ?? '';
        const fresh = accept(parts);
        if (fresh.length > 0 && !stopped) handlers.onLines(fresh);
      }
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError) handlers.onState('down', error);
    }
    if (stopped) return;
    handlers.onState('down');
    failures += 1;
    timer = setTimeout(() => { timer = null; void connect(); }, failures === 1 ? FIRST_RETRY_MS : RETRY_MS);
  };

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}
