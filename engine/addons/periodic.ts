/** Runs a task now and then every `intervalMs`, one run at a time; `stop` waits for the running one. */
import type { Logger } from '../../lib/log';

export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly name: string, private readonly task: () => Promise<void>, private readonly logger: Logger) {}

  /** Settles when the first run is done. */
  start(intervalMs: number): Promise<void> {
    const first = this.runOnce();
    this.timer = setInterval(() => { void this.runOnce(); }, intervalMs);
    this.timer.unref();
    return first;
  }

  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) return this.running;
    this.running = this.task()
      .catch((error: unknown) => this.logger.error({ err: error, loop: this.name }, 'periodic task failed; it runs again at the next interval'))
      .finally(() => { this.running = null; });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
