/**
 * Every app's log history, in files: `<root>/<app>/<first seq>.log` segments of JSON lines (0600,
 * in folders 0700) plus `state.json` (the next number and the collector's cursors). Bounded per
 * app by lines, age and bytes, whichever bites first; whole segments are deleted as they fall out.
 * Why files and not the database: docs/logs.md ("Storage").
 *
 * Appends are numbered at once and written in batches (one append per app per flush), so a
 * noisy app costs one write per FLUSH_MS, not one per line, and never waits on another app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appNameProblem } from '../../lib/app-name';
import type { Logger } from '../../lib/log';
import { LOG_SOURCES, type LogLine, type LogSource, type NewLogLine } from './log-line';
import { matches, type LogQuery } from './log-query';

export interface LogRetention {
  /** Lines kept per app (the newest). */
  readonly maxLines: number;
  /** Lines older than this are gone. */
  readonly maxAgeMs: number;
  /** Bytes kept per app on disk, at most (plus one segment being written). */
  readonly maxBytes: number;
}

/** How long appended lines wait before they are written. */
const FLUSH_MS = 50;
const SEGMENT = /^(\d{16})\.log$/;
const STATE_FILE = 'state.json';

interface Segment {
  readonly first: number;
  bytes: number;
  mtimeMs: number;
}

interface AppState {
  nextSeq: number;
  cursors: Record<string, string>;
}

class AppLog {
  segments: Segment[] = [];
  nextSeq = 1;
  cursors: Record<string, string> = {};
  /** Bytes waiting for the current segment (several segments may be waiting after a roll). */
  pending: { file: string; data: string }[] = [];
  stateDirty = false;
  /** The write in progress, if any: flushes of one app never overlap. */
  writing: Promise<void> = Promise.resolve();
  constructor(readonly dir: string) {}
}

export class LogStore {
  private readonly apps = new Map<string, Promise<AppLog>>();
  private readonly loaded = new Map<string, AppLog>();
  private readonly dirty = new Set<AppLog>();
  private timer: NodeJS.Timeout | null = null;
  private readonly segmentLines: number;
  private readonly segmentBytes: number;

  constructor(
    private readonly root: string,
    private readonly retention: LogRetention,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    this.segmentLines = Math.max(50, Math.ceil(retention.maxLines / 10));
    this.segmentBytes = Math.max(64 * 1024, Math.floor(retention.maxBytes / 10));
  }

  /** Numbers the lines, queues them for writing and answers them numbered. */
  async append(app: string, lines: readonly NewLogLine[], cursor?: { container: string; time: string }): Promise<LogLine[]> {
    const log = await this.load(app);
    const numbered: LogLine[] = [];
    for (const line of lines) {
      const kept: LogLine = { seq: log.nextSeq, ...line };
      log.nextSeq += 1;
      numbered.push(kept);
      this.queue(log, kept);
    }
    if (cursor) {
      log.cursors[cursor.container] = cursor.time;
    }
    if (numbered.length > 0 || cursor) {
      log.stateDirty = true;
      this.schedule(log);
    }
    return numbered;
  }

  /** The collector's resume points of `app`'s containers (Docker timestamps of the last line kept). */
  async cursors(app: string): Promise<Readonly<Record<string, string>>> {
    return { ...(await this.load(app)).cursors };
  }

  async forgetCursor(app: string, container: string): Promise<void> {
    const log = await this.load(app);
    if (!(container in log.cursors)) return;
    delete log.cursors[container];
    log.stateDirty = true;
    this.schedule(log);
  }

  /** The last `query.lines` lines that match, oldest first (by time, then by number). */
  async read(app: string, query: LogQuery): Promise<LogLine[]> {
    const log = await this.load(app);
    await this.flushApp(log);
    const oldestSeq = log.nextSeq - this.retention.maxLines;
    const oldestTime = (this.now() - this.retention.maxAgeMs) * 1000;
    const found: LogLine[] = [];
    for (let i = log.segments.length - 1; i >= 0 && found.length < query.lines; i -= 1) {
      const segment = log.segments[i]!;
      let text: string;
      try {
        text = await fs.promises.readFile(path.join(log.dir, segmentName(segment.first)), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
        throw error;
      }
      const lines = text.split('\n');
      const matched: LogLine[] = [];
      for (const raw of lines) {
        const line = parseRecord(raw);
        if (line === null || line.seq < oldestSeq || line.time < oldestTime || !matches(line, query)) continue;
        matched.push(line);
      }
      found.unshift(...matched.slice(Math.max(0, matched.length - (query.lines - found.length))));
    }
    return found.sort((a, b) => a.time - b.time || a.seq - b.seq);
  }

  /** The number the next line of `app` will get. */
  async nextSeq(app: string): Promise<number> {
    return (await this.load(app)).nextSeq;
  }

  /** Forgets an app's history (the app was destroyed). */
  async remove(app: string): Promise<void> {
    const dir = this.dirOf(app);
    const log = this.loaded.get(app);
    if (log) {
      this.dirty.delete(log);
      log.pending = [];
      await log.writing;
    }
    this.apps.delete(app);
    this.loaded.delete(app);
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  /** Keeps an app's history under its new name. */
  async rename(from: string, to: string): Promise<void> {
    const log = this.loaded.get(from);
    if (log) await this.flushApp(log);
    this.apps.delete(from);
    this.loaded.delete(from);
    // No app has the new name, so whatever is kept under it is a stale leftover: it goes.
    await this.remove(to);
    try {
      await fs.promises.rename(this.dirOf(from), this.dirOf(to));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Deletes segments past the age limit of every app on disk (the others go as their apps write). */
  async sweep(): Promise<void> {
    for (const name of await fs.promises.readdir(this.root)) {
      if (appNameProblem(name) !== null) continue;
      const log = await this.load(name);
      await this.flushApp(log);
      this.trim(log, true);
      await log.writing;
    }
  }

  async flush(): Promise<void> {
    await Promise.all([...this.loaded.values()].map((log) => this.flushApp(log)));
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private dirOf(app: string): string {
    const problem = appNameProblem(app);
    if (problem !== null) throw new Error(`not an app name: ${app}`);
    return path.join(this.root, app);
  }

  private queue(log: AppLog, line: LogLine): void {
    let current = log.segments[log.segments.length - 1];
    const linesInCurrent = current ? line.seq - current.first : 0;
    if (!current || linesInCurrent >= this.segmentLines || current.bytes >= this.segmentBytes) {
      current = { first: line.seq, bytes: 0, mtimeMs: this.now() };
      log.segments.push(current);
      this.trim(log, false);
    }
    const record = `${JSON.stringify({ s: line.seq, t: line.time, o: line.source, p: line.process, m: line.text })}\n`;
    current.bytes += Buffer.byteLength(record);
    current.mtimeMs = this.now();
    const file = path.join(log.dir, segmentName(current.first));
    const last = log.pending[log.pending.length - 1];
    if (last && last.file === file) last.data += record;
    else log.pending.push({ file, data: record });
  }

  /** Drops the oldest segments past any bound; the newest always stays. */
  private trim(log: AppLog, byAgeOnly: boolean): void {
    const tooOld = this.now() - this.retention.maxAgeMs;
    const doomed: Segment[] = [];
    for (;;) {
      const oldest = log.segments[0];
      const next = log.segments[1];
      if (!oldest) break;
      if (!next) {
        // The newest segment goes only when all of it is too old.
        if (byAgeOnly && oldest.mtimeMs < tooOld) doomed.push(log.segments.shift()!);
        break;
      }
      const linesAfter = log.nextSeq - next.first;
      const bytes = log.segments.reduce((sum, s) => sum + s.bytes, 0);
      if (oldest.mtimeMs < tooOld || (!byAgeOnly && (linesAfter >= this.retention.maxLines || bytes > this.retention.maxBytes))) {
        doomed.push(log.segments.shift()!);
      } else {
        break;
      }
    }
    if (doomed.length === 0) return;
    const files = new Set(doomed.map((s) => path.join(log.dir, segmentName(s.first))));
    log.pending = log.pending.filter((p) => !files.has(p.file));
    log.stateDirty = true;
    log.writing = log.writing.then(async () => {
      for (const file of files) await fs.promises.rm(file, { force: true });
    }).catch((error: unknown) => this.logger.warn({ err: error, dir: log.dir }, 'could not delete an old log segment'));
    this.schedule(log);
  }

  private schedule(log: AppLog): void {
    this.dirty.add(log);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const dirty = [...this.dirty];
      this.dirty.clear();
      for (const one of dirty) void this.flushApp(one);
    }, FLUSH_MS);
  }

  private flushApp(log: AppLog): Promise<void> {
    const pending = log.pending;
    const writeState = log.stateDirty;
    log.pending = [];
    log.stateDirty = false;
    this.dirty.delete(log);
    if (pending.length === 0 && !writeState) return log.writing;
    log.writing = log.writing.then(async () => {
      for (const { file, data } of pending) await fs.promises.appendFile(file, data, { mode: 0o600 });
      // The cursors go after the lines they follow: a crash in between reads a line again, never skips one.
      if (writeState) await writeAtomically(path.join(log.dir, STATE_FILE), JSON.stringify({ nextSeq: log.nextSeq, cursors: log.cursors } satisfies AppState));
    }).catch((error: unknown) => {
      this.logger.error({ err: error, dir: log.dir }, 'could not write log lines');
    });
    return log.writing;
  }

  private load(app: string): Promise<AppLog> {
    let loading = this.apps.get(app);
    if (!loading) {
      loading = this.readApp(app);
      this.apps.set(app, loading);
      loading.then((log) => this.loaded.set(app, log), () => this.apps.delete(app));
    }
    return loading;
  }

  private async readApp(app: string): Promise<AppLog> {
    const dir = this.dirOf(app);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const log = new AppLog(dir);
    const names = (await fs.promises.readdir(dir)).filter((name) => SEGMENT.test(name)).sort();
    for (const name of names) {
      const stat = await fs.promises.stat(path.join(dir, name));
      log.segments.push({ first: Number(SEGMENT.exec(name)![1]), bytes: stat.size, mtimeMs: stat.mtimeMs });
    }
    try {
      const state = JSON.parse(await fs.promises.readFile(path.join(dir, STATE_FILE), 'utf8')) as Partial<AppState>;
      if (typeof state.nextSeq === 'number') log.nextSeq = state.nextSeq;
      if (state.cursors && typeof state.cursors === 'object') log.cursors = { ...state.cursors };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err: error, app }, 'unreadable log state; numbering from the segments');
    }
    const last = log.segments[log.segments.length - 1];
    if (last) log.nextSeq = Math.max(log.nextSeq, await this.lastSeqIn(path.join(dir, segmentName(last.first)), last) + 1);
    return log;
  }

  /** The number of the last whole line of a segment; a line cut short by a crash is removed. */
  private async lastSeqIn(file: string, segment: Segment): Promise<number> {
    const text = await fs.promises.readFile(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      await fs.promises.truncate(file, Buffer.byteLength(text.slice(0, end)));
      segment.bytes = Buffer.byteLength(text.slice(0, end));
    }
    let last = segment.first - 1;
    for (const raw of text.slice(0, end).split('\n')) {
      const line = parseRecord(raw);
      if (line) last = Math.max(last, line.seq);
    }
    return last;
  }
}

function segmentName(first: number): string {
  return `${String(first).padStart(16, '0')}.log`;
}

function parseRecord(raw: string): LogLine | null {
  if (raw === '') return null;
  try {
    const r = JSON.parse(raw) as { s?: unknown; t?: unknown; o?: unknown; p?: unknown; m?: unknown };
    if (typeof r.s !== 'number' || typeof r.t !== 'number' || typeof r.p !== 'string' || typeof r.m !== 'string') return null;
    if (!(LOG_SOURCES as readonly unknown[]).includes(r.o)) return null;
    return { seq: r.s, time: r.t, source: r.o as LogSource, process: r.p, text: r.m };
  } catch {
    return null;
  }
}

async function writeAtomically(file: string, data: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(temp, data, { mode: 0o600 });
  await fs.promises.rename(temp, file);
}
