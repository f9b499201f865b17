/**
 * Where the router leaves one line per request for the apps' log streams: spool files in the
 * state dir that the platform reads (engine/logs/router-spool-reader.ts), so a platform restart
 * loses no router line and the router never waits for the platform. Lines are gathered and
 * written a batch at a time (as router/log.ts does), synchronously: a batch of about 64 KB is
 * one write to the page cache. A file is closed and renamed `.done` past SEGMENT_BYTES; while
 * the platform is away, at most MAX_DONE of them wait, the oldest deleted first.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AccessRecord } from './access-log';
import type { RouterLogRecord } from '../lib/router-log-record';

const BATCH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 100;
const SEGMENT_BYTES = 16 * 1024 * 1024;
const MAX_DONE = 8;

export class AppLogSpool {
  private batch = '';
  private fd: number | null = null;
  private file = '';
  private written = 0;
  private count = 0;
  private readonly done: string[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** One request, from the access record the router keeps anyway. */
  record(record: AccessRecord, fwd: string | undefined): void {
    if (record.app === undefined) return; // no app: nobody's stream
    const line: RouterLogRecord = {
      t: Math.round((performance.timeOrigin + record.startedAt) * 1000),
      a: record.app,
      h: record.host ?? '',
      m: record.method ?? '',
      p: record.path ?? '',
      s: record.status,
      b: record.bytes,
      c: record.sentAt > 0 ? Math.round(record.sentAt - record.startedAt) : -1,
      v: record.firstByteAt > 0 ? Math.round(record.firstByteAt - record.sentAt) : -1,
      r: record.requestId,
      i: record.instance ?? '',
      f: fwd ?? '',
      e: record.code ?? '',
    };
    this.batch += `${JSON.stringify(line)}\n`;
    if (this.batch.length >= BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.batch === '') return;
    const data = this.batch;
    this.batch = '';
    try {
      if (this.fd === null) this.open();
      fs.writeSync(this.fd!, data);
      this.written += Buffer.byteLength(data);
      if (this.written >= SEGMENT_BYTES) this.rotate();
    } catch {
      // The disk is full or the folder gone: these lines are lost, the router keeps serving.
      this.closeFile();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    if (this.fd !== null) this.rotate();
  }

  private open(): void {
    this.count += 1;
    this.file = path.join(this.dir, `${process.pid}-${this.started}-${String(this.count).padStart(6, '0')}.open`);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.written = 0;
  }

  private rotate(): void {
    const open = this.file;
    this.closeFile();
    const done = open.replace(/\.open$/, '.done');
    fs.renameSync(open, done);
    this.done.push(done);
    while (this.done.length > MAX_DONE) fs.rmSync(this.done.shift()!, { force: true });
  }

  private closeFile(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = null;
  }
}
