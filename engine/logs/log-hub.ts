/**
 * One log stream per app: every source writes here, lines are numbered and kept (LogStore), and
 * handed to whoever follows the app live (`logs -t`) and to its drains. Followers subscribe to
 * the app, not to instances, so new instances of a deploy appear without reconnecting.
 */
import type { Logger } from '../../lib/log';
import { cleanText, nowMicros, type LogLine, type NewLogLine } from './log-line';
import type { LogQuery } from './log-query';
import type { LogStore } from './log-store';
import { RateLimiter } from './rate-limit';

/**
 * Platform events in an app's stream, as `slipway[api]: Release v5 created by alice` (Heroku's
 * `heroku[api]` lines). Services call it for what they do; it never throws and never waits.
 */
export interface AppEvents {
  /** `process` names the part: `api` (default) for user actions, `web.1` for an instance's state. */
  emit(app: string, text: string, process?: string): void;
}

/** One `logs -t`: new lines, and the end of the stream when the app is destroyed. */
interface Follower {
  lines(lines: readonly LogLine[]): void;
  end?(): void;
}

/** Whoever takes every kept line of every app (the drains). */
export type LogListener = (app: string, lines: readonly LogLine[]) => void;

/** How often at most the hub says that an app's lines were dropped (L12). */
const DROP_REPORT_MS = 1000;
/** A build line without its newline yet is written after this long. */
const PARTIAL_MS = 500;

export class LogHub implements AppEvents {
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly listeners: LogListener[] = [];
  private readonly limiters = new Map<string, { limiter: RateLimiter; reportedAt: number }>();
  /** Old name → new name while apps:rename moves an app (its old instances still log under the old name). */
  private readonly aliases = new Map<string, string>();
  /** New name → the move of its history, which writes wait for. */
  private readonly moving = new Map<string, Promise<void>>();

  constructor(
    private readonly store: LogStore,
    private readonly settings: { readonly ratePerSecond: number },
    private readonly logger: Logger,
  ) {}

  /**
   * Adds lines to an app's stream. App and router lines over the app's rate are dropped and
   * counted (a noisy app cannot slow the platform or fill the disk); build and platform lines never.
   * `cursor` records how far the collector read a container, kept with the lines.
   */
  async write(appName: string, lines: readonly NewLogLine[], cursor?: { container: string; time: string }): Promise<LogLine[]> {
    const app = this.aliases.get(appName) ?? appName;
    const moving = this.moving.get(app);
    if (moving) await moving.catch(() => undefined);
    const kept: NewLogLine[] = [];
    let state = this.limiters.get(app);
    for (const line of lines) {
      if (line.source === 'app' || line.source === 'router') {
        if (!state) this.limiters.set(app, state = { limiter: new RateLimiter(this.settings.ratePerSecond), reportedAt: 0 });
        if (!state.limiter.take()) continue;
      }
      kept.push({ ...line, text: cleanText(line.text) });
    }
    if (state && Date.now() - state.reportedAt >= DROP_REPORT_MS) {
      const dropped = state.limiter.takeDropped();
      if (dropped > 0) {
        state.reportedAt = Date.now();
        kept.push({
          time: nowMicros(), source: 'slipway', process: 'logs',
          text: `Error L12 (local buffer overflow): ${dropped} lines dropped: the app logs faster than the ${this.settings.ratePerSecond} lines per second Slipway keeps per app`,
        });
      }
    }
    const numbered = await this.store.append(app, kept, cursor);
    if (numbered.length > 0) this.publish(app, numbered);
    return numbered;
  }

  emit(app: string, text: string, process = 'api'): void {
    this.write(app, [{ time: nowMicros(), source: 'slipway', process, text }]).catch((error: unknown) => {
      this.logger.warn({ err: error, app }, 'could not add a platform event to the log');
    });
  }

  /**
   * A writer for one build's output, in chunks as they come: whole lines go to the stream as
   * `build[build]: …`; a line still without its end goes after PARTIAL_MS.
   */
  buildOutput(app: string): (text: string) => void {
    let partial = '';
    let timer: NodeJS.Timeout | null = null;
    const send = (lines: string[]): void => {
      if (lines.length === 0) return;
      const time = nowMicros();
      this.write(app, lines.map((text) => ({ time, source: 'build' as const, process: 'build', text })))
        .catch((error: unknown) => this.logger.warn({ err: error, app }, 'could not add build output to the log'));
    };
    return (text: string) => {
      const parts = (partial + text.replace(/\r\n/g, '\n')).split('\n');
      partial = parts.pop() ?? '';
      send(parts);
      if (timer) clearTimeout(timer);
      timer = partial === '' ? null : setTimeout(() => { timer = null; const rest = partial; partial = ''; send([rest]); }, PARTIAL_MS);
    };
  }

  read(app: string, query: LogQuery): Promise<LogLine[]> {
    return this.store.read(app, query);
  }

  /** The number the app's next line will get. */
  nextSeq(app: string): Promise<number> {
    return this.store.nextSeq(app);
  }

  /**
   * Calls `follower` with every new line of `app` until the returned function is called; `onEnd`
   * when the app is destroyed (nothing more will come). A rename takes its followers along.
   */
  follow(app: string, follower: (lines: readonly LogLine[]) => void, onEnd?: () => void): () => void {
    const entry: Follower = onEnd ? { lines: follower, end: onEnd } : { lines: follower };
    let set = this.followers.get(app);
    if (!set) this.followers.set(app, set = new Set());
    set.add(entry);
    return () => {
      // Wherever a rename has moved it since.
      for (const [name, followers] of this.followers) {
        if (followers.delete(entry) && followers.size === 0) this.followers.delete(name);
      }
    };
  }

  /** Every kept line of every app, for the drains. */
  listen(listener: LogListener): void {
    this.listeners.push(listener);
  }

  /** The app is destroyed: its history, counters and followers go (each told the stream ended). */
  async forget(app: string): Promise<void> {
    this.limiters.delete(app);
    const followers = this.followers.get(app);
    this.followers.delete(app);
    for (const follower of followers ?? []) {
      try {
        follower.end?.();
      } catch (error) {
        this.logger.warn({ err: error, app }, 'a log follower failed at the end of its stream');
      }
    }
    await this.store.remove(app);
  }

  /**
   * apps:rename: the history, followers and counters move to the new name, and lines still
   * written under the old one (its instances serve until the new ones are up) go to the new
   * stream, until `finishRename(from)`.
   */
  async rename(from: string, to: string): Promise<void> {
    this.aliases.set(from, to);
    const limiter = this.limiters.get(from);
    this.limiters.delete(from);
    if (limiter) this.limiters.set(to, limiter);
    const followers = this.followers.get(from);
    this.followers.delete(from);
    if (followers) this.followers.set(to, new Set([...(this.followers.get(to) ?? []), ...followers]));
    const move = this.store.rename(from, to);
    this.moving.set(to, move);
    try {
      await move;
    } finally {
      if (this.moving.get(to) === move) this.moving.delete(to);
    }
  }

  /** The old name's instances are gone: the name is free again, without history. */
  async finishRename(from: string): Promise<void> {
    this.aliases.delete(from);
    await this.store.remove(from);
  }

  private publish(app: string, lines: readonly LogLine[]): void {
    for (const listener of this.listeners) {
      try {
        listener(app, lines);
      } catch (error) {
        this.logger.error({ err: error, app }, 'a log listener failed');
      }
    }
    for (const follower of this.followers.get(app) ?? []) {
      try {
        follower.lines(lines);
      } catch (error) {
        this.logger.error({ err: error, app }, 'a log follower failed');
      }
    }
  }
}
