/**
 * Reading an app's stream, for the API (`logs`, `logs -t`): history, then every new line that
 * matches, in order and without a gap or a repeat between the two.
 */
import type { AppsRepo } from '../store/apps-repo';
import type { LogLine } from './log-line';
import type { LogHub } from './log-hub';
import { matches, type LogQuery } from './log-query';

export interface LogFollower {
  /** Lines kept before the call, then the new ones as they come. */
  onLines(lines: readonly LogLine[]): void;
  /** The app was destroyed: no more lines will come. */
  onEnd?(): void;
}

export class LogService {
  constructor(private readonly apps: Pick<AppsRepo, 'get'>, private readonly hub: LogHub) {}

  /** The last `query.lines` matching lines (throws app_not_found). */
  async history(app: string, query: LogQuery): Promise<LogLine[]> {
    await this.apps.get(app);
    return this.hub.read(app, query);
  }

  /**
   * History, then live lines until the returned stop() is called. New instances of later deploys
   * appear by themselves: the follower is on the app's stream, not on its containers.
   */
  async follow(app: string, query: LogQuery, follower: LogFollower): Promise<() => void> {
    await this.apps.get(app);
    let waiting: LogLine[] | null = [];
    const stop = this.hub.follow(app, (lines) => {
      const wanted = lines.filter((line) => matches(line, query));
      if (wanted.length === 0) return;
      if (waiting !== null) waiting.push(...wanted);
      else follower.onLines(wanted);
    }, () => follower.onEnd?.());
    try {
      const history = await this.hub.read(app, query);
      const seen = new Set(history.map((line) => line.seq));
      follower.onLines(history);
      const held = waiting.filter((line) => !seen.has(line.seq));
      waiting = null;
      if (held.length > 0) follower.onLines(held);
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }
}
