/**
 * Server-Sent Events for `audit -t`: a pure parser of the text/event-stream format, and a
 * follower that reconnects after a drop with Last-Event-ID, so no event is lost or repeated.
 */
import { CliError } from './cli-error';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Incremental text/event-stream parser (the WHATWG rules: any line ending, comments, multi-line data). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private id: string | null = null;
  /** The `retry:` the server asked for, in milliseconds. */
  retryMs: number | null = null;

  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      const event = this.data.length > 0 ? { id: this.id, event: this.eventType || 'message', data: this.data.join('\n') } : null;
      this.data = [];
      this.eventType = '';
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}

export interface FollowOptions {
  /** Opens the stream, resuming after `lastEventId`; throws a CliError with a status when the API refuses. */
  open(lastEventId: string | null, signal: AbortSignal): Promise<Response>;
  onEvent(event: SseEvent): void;
  /** Told before each reconnection, with what ended the last connection. */
  onReconnect?(reason: string, delayMs: number): void;
  lastEventId: string | null;
  signal?: AbortSignal;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Reconnect when nothing (not even a heartbeat comment) arrived for this long. */
  idleTimeoutMs?: number;
}

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** A refusal by the API (a 4xx: bad token, no permission, bad filter) ends following; anything else is retried. */
function fatal(error: unknown): boolean {
  return error instanceof CliError && error.status !== null && error.status >= 400 && error.status < 500;
}

/** Reads one connection to its end; resolves with why it ended. */
async function readConnection(response: Response, parser: SseParser, options: FollowOptions, state: { lastEventId: string | null; received: boolean }, idle: () => void): Promise<string> {
  if (!response.body) return 'the API answered without a stream';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return 'the API closed the stream';
    idle();
    for (const event of parser.push(decoder.decode(value, { stream: true }))) {
      if (event.id !== null) state.lastEventId = event.id;
      state.received = true;
      options.onEvent(event);
    }
  }
}

/** Follows the stream until `signal` aborts; reconnects with a growing delay, resuming from the last event's id. */
export async function follow(options: FollowOptions): Promise<void> {
  const state = { lastEventId: options.lastEventId, received: false };
  let delay = FIRST_DELAY_MS;
  const idleTimeout = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  while (!options.signal?.aborted) {
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    options.signal?.addEventListener('abort', onAbort);
    let timer: NodeJS.Timeout | undefined;
    let idledOut = false;
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { idledOut = true; connection.abort(); }, idleTimeout);
      timer.unref?.();
    };
    const parser = new SseParser();
    let reason: string;
    state.received = false;
    try {
      const response = await options.open(state.lastEventId, connection.signal);
      idle();
      reason = await readConnection(response, parser, options, state, idle);
    } catch (error) {
      if (options.signal?.aborted) return;
      if (fatal(error)) throw error;
      reason = idledOut ? `nothing received for ${Math.round(idleTimeout / 1000)}s` : error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      connection.abort();
    }
    if (options.signal?.aborted) return;
    if (state.received) delay = FIRST_DELAY_MS;
    const wait = parser.retryMs ?? delay;
    options.onReconnect?.(reason, wait);
    await options.sleep(wait, options.signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
