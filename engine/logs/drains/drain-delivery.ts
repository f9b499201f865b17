/**
 * One drain's delivery loop: lines wait in a bounded buffer and go out in batches; a batch leaves
 * the buffer only once the endpoint has it, so an endpoint that is down loses nothing until the
 * buffer is full; then the oldest go and the app's stream says so (Heroku's L10).
 */
import type { Logger } from '../../../lib/log';
import type { LogLine } from '../log-line';
import { DrainBuffer } from './drain-buffer';
import { frameLines } from './syslog-frame';
import { CONFIRM_MS, type DrainTransport } from './transports';

const BATCH_LINES = 500;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
const REPORT_MS = 10_000;

export interface DrainTarget {
  readonly id: string;
  readonly app: string;
}

export class DrainDelivery {
  private readonly buffer: DrainBuffer;
  private pumping = false;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private reportedAt = 0;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Batches written on a syslog connection, not yet confirmed by the connection staying up. */
  private unconfirmed: { lastSeq: number; at: number; generation: number }[] = [];

  constructor(
    public drain: DrainTarget,
    private readonly transport: DrainTransport,
    capacity: number,
    /** Says in the app's stream that lines were dropped (L10). */
    private readonly reportDropped: (app: string, text: string) => void,
    private readonly logger: Logger,
    /** Every line up to `seq` is delivered (the drain's cursor, kept across restarts). */
    private readonly onDelivered: (seq: number) => void = () => undefined,
  ) {
    this.buffer = new DrainBuffer(capacity);
  }

  get pending(): number {
    return this.buffer.size;
  }

  push(lines: readonly LogLine[]): void {
    if (this.closed) return;
    const now = Date.now();
    this.buffer.push(lines, now);
    // At most one L10 line per REPORT_MS: the line itself comes back here and may push another out.
    const dropped = now - this.reportedAt >= REPORT_MS ? this.buffer.takeDropped() : null;
    if (dropped) {
      this.reportedAt = now;
      // Its own line goes through the stream, to this drain too.
      this.reportDropped(this.drain.app,
        `Error L10 (output buffer overflow): ${dropped.count} messages dropped since ${new Date(dropped.sinceMs).toISOString()} (drain ${this.drain.id} unreachable; it holds ${this.buffer.capacity} lines)`);
    }
    this.wake?.();
    if (!this.pumping) void this.pump();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.transport.close();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed) {
        this.confirm();
        const after = this.unconfirmed[this.unconfirmed.length - 1]?.lastSeq ?? 0;
        const batch = this.buffer.peekAfter(after, BATCH_LINES);
        if (batch.length === 0) {
          if (this.unconfirmed.length === 0) break;
          // Everything is out; wait until the oldest batch can be confirmed (or a new line comes).
          await this.pause(CONFIRM_MS - (Date.now() - this.unconfirmed[0]!.at) + 10, true);
          continue;
        }
        try {
          await this.transport.send(frameLines(this.drain.app, batch), batch.length);
          const lastSeq = batch[batch.length - 1]!.seq;
          if (this.transport.confirmsOnSend) {
            this.buffer.ack(batch);
            this.onDelivered(lastSeq);
          }
          else this.unconfirmed.push({ lastSeq, at: Date.now(), generation: this.transport.generation });
          this.retryMs = RETRY_MIN_MS;
        } catch (error) {
          this.logger.debug({ err: error, drain: this.drain.id, app: this.drain.app, pending: this.buffer.size }, 'drain delivery failed; trying again');
          // Whatever the broken connection had not confirmed goes again.
          this.unconfirmed = [];
          await this.pause(this.retryMs, false);
          this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Acknowledges the batches whose connection stayed up long enough; forgets them all if it broke. */
  private confirm(): void {
    const now = Date.now();
    while (this.unconfirmed.length > 0) {
      const oldest = this.unconfirmed[0]!;
      if (!this.transport.isUp(oldest.generation)) {
        this.unconfirmed = [];
        return;
      }
      if (now - oldest.at < CONFIRM_MS) return;
      this.buffer.ackThrough(oldest.lastSeq);
      this.onDelivered(oldest.lastSeq);
      this.unconfirmed.shift();
    }
  }

  private pause(ms: number, wakeOnLines: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => { if (this.timer) clearTimeout(this.timer); this.timer = null; this.wake = null; resolve(); };
      this.wake = wakeOnLines ? done : null;
      this.timer = setTimeout(done, Math.max(1, ms));
    });
  }
}
