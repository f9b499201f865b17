/**
 * Docker's log stream, taken apart (pure, fed chunk by chunk): without a TTY each piece of output
 * comes in a frame with an 8-byte header (stream 1 stdout, 2 stderr; 4-byte big-endian length);
 * with `timestamps` each line starts with its RFC 3339 time in nanoseconds and a space.
 */

export interface TimedLine {
  /** Docker's time, as it wrote it (`2026-12-05T18:00:00.123456789Z`). */
  readonly time: string;
  readonly text: string;
  readonly stream: 'stdout' | 'stderr';
}

/** Longest piece of a line kept while waiting for its end; Docker itself cuts lines at 16 KB. */
const MAX_PARTIAL = 64 * 1024;

export class DockerLogParser {
  /** `tty`: the container has a terminal, so its output comes raw, without frames (all as stdout). */
  constructor(readonly tty = false) {}

  private header = Buffer.alloc(0);
  private remaining = 0;
  private stream: 'stdout' | 'stderr' = 'stdout';
  private readonly partial = { stdout: '', stderr: '' };

  /** Whole lines found in `chunk` (a line may span chunks and frames). */
  push(chunk: Buffer): TimedLine[] {
    const lines: TimedLine[] = [];
    if (this.tty) {
      this.text(chunk.toString('utf8'), lines);
      return lines;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const need = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)]);
        offset += Math.min(need, chunk.length - offset);
        if (this.header.length < 8) break;
        this.stream = this.header[0] === 2 ? 'stderr' : 'stdout';
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.text(chunk.subarray(offset, offset + take).toString('utf8'), lines);
      offset += take;
      this.remaining -= take;
    }
    return lines;
  }

  /** Whatever is left without a newline (the stream ended). */
  end(): TimedLine[] {
    const lines: TimedLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') {
        const line = splitTime(this.partial[stream], stream);
        if (line) lines.push(line);
        this.partial[stream] = '';
      }
    }
    return lines;
  }

  private text(text: string, into: TimedLine[]): void {
    const stream = this.stream;
    let data = this.partial[stream] + text;
    let newline = data.indexOf('\n');
    while (newline !== -1) {
      const line = splitTime(data.slice(0, newline), stream);
      if (line) into.push(line);
      data = data.slice(newline + 1);
      newline = data.indexOf('\n');
    }
    this.partial[stream] = data.length > MAX_PARTIAL ? data.slice(0, MAX_PARTIAL) : data;
  }
}

function splitTime(raw: string, stream: 'stdout' | 'stderr'): TimedLine | null {
  const space = raw.indexOf(' ');
  const time = space === -1 ? raw : raw.slice(0, space);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(time)) return null;
  return { time, text: space === -1 ? '' : raw.slice(space + 1), stream };
}

/** Nanoseconds since the epoch of a Docker time, exactly (for comparing cursors). */
export function dockerTimeNanos(time: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!match) return -1n;
  const seconds = BigInt(Date.parse(`${match[1]}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** Microseconds since the epoch of a Docker time (the log line's time). */
export function dockerTimeMicros(time: string): number {
  return Number(dockerTimeNanos(time) / 1000n);
}

/** Docker's `since` for a resume point: whole seconds and nanoseconds, `1764957600.123456789`. */
export function sinceParameter(time: string): string {
  const nanos = dockerTimeNanos(time);
  if (nanos < 0n) return '0';
  return `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;
}
