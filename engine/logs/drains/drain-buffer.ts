/**
 * The lines one drain still has to deliver, oldest first, bounded: past `capacity` the oldest
 * go, counted, so the stream can say so (L10). Lines leave only once delivered (at least once).
 */
import type { LogLine } from '../log-line';

export class DrainBuffer {
  private lines: LogLine[] = [];
  private head = 0;
  private droppedCount = 0;
  private droppedSince: number | null = null;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.lines.length - this.head;
  }

  push(lines: readonly LogLine[], nowMs: number): void {
    this.lines.push(...lines);
    const over = this.size - this.capacity;
    if (over > 0) {
      this.head += over;
      this.droppedCount += over;
      this.droppedSince ??= nowMs;
    }
    if (this.head > 4096 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest lines, up to `max`, without removing them. */
  peek(max: number): LogLine[] {
    return this.lines.slice(this.head, this.head + max);
  }

  /** The oldest lines numbered after `seq`, up to `max`, without removing them. */
  peekAfter(seq: number, max: number): LogLine[] {
    let start = this.head;
    while (start < this.lines.length && this.lines[start]!.seq <= seq) start += 1;
    return this.lines.slice(start, start + max);
  }

  /** Removes delivered lines: those of `batch` still at the front (some may have been dropped meanwhile). */
  ack(batch: readonly LogLine[]): void {
    const last = batch[batch.length - 1];
    if (last) this.ackThrough(last.seq);
  }

  /** Removes every line numbered up to `seq`. */
  ackThrough(seq: number): void {
    while (this.head < this.lines.length && this.lines[this.head]!.seq <= seq) this.head += 1;
  }

  /** Lines dropped since the last call, and since when; null when none. */
  takeDropped(): { count: number; sinceMs: number } | null {
    if (this.droppedCount === 0) return null;
    const dropped = { count: this.droppedCount, sinceMs: this.droppedSince! };
    this.droppedCount = 0;
    this.droppedSince = null;
    return dropped;
  }
}
