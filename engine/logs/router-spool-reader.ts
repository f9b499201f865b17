/**
 * Reads the router's spool files (router/app-log-spool.ts) into the apps' log streams. How far
 * each file was read is kept in `checkpoint.json` beside them, so a platform restart goes on
 * where it stopped. A file is deleted once read to its end and closed by its router (`.done`),
 * or left `.open` by a router process that no longer runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/log';
import { parseRouterLogRecord, SPOOL_FILE, type RouterLogRecord } from '../../lib/router-log-record';
import type { NewLogLine } from './log-line';
import { routerLineText } from './router-line';

/** At most this much of a file is read per pass, so one pass never holds much memory. */
const READ_BYTES = 4 * 1024 * 1024;
const POLL_MS = 250;

export interface RouterLineSink {
  write(app: string, lines: readonly NewLogLine[]): Promise<unknown>;
}

export class RouterSpoolReader {
  private offsets: Record<string, number> = {};
  private timer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly sink: RouterLineSink,
    /** `web.1` for an instance id the router names, when the platform knows it. */
    private readonly dynoOf: (instanceId: string) => string,
    private readonly logger: Logger,
    private readonly pidAlive: (pid: number) => boolean = isAlive,
  ) {}

  async start(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      this.offsets = JSON.parse(await fs.promises.readFile(this.checkpointFile(), 'utf8')) as Record<string, number>;
    } catch {
      this.offsets = {};
    }
    try {
      this.watcher = fs.watch(this.dir, () => this.poke());
      this.watcher.on('error', () => undefined);
    } catch {
      // polling alone still reads everything
    }
    this.timer = setInterval(() => this.poke(), POLL_MS);
    this.timer.unref();
    // Through poke, never pass() directly: the watcher may already have started a pass, and two
    // at once would read the same bytes twice and race on the checkpoint's temporary file.
    await this.poke();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    await this.running;
  }

  /** Reads whatever is new now (and again right after, when asked while reading). */
  poke(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((error: unknown) => this.logger.warn({ err: error }, 'could not read the router\'s log spool'));
      } while (this.again && !this.closed);
      this.running = null;
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    const names = (await fs.promises.readdir(this.dir)).filter((name) => SPOOL_FILE.test(name)).sort();
    const seen = new Set<string>();
    let changed = false;
    for (const name of names) {
      const match = SPOOL_FILE.exec(name)!;
      const base = name.replace(/\.(open|done)$/, '');
      seen.add(base);
      const file = path.join(this.dir, name);
      const offset = this.offsets[base] ?? 0;
      const { size } = await fs.promises.stat(file).catch(() => ({ size: -1 }));
      if (size < 0) continue;
      if (size > offset) {
        const read = await this.readFrom(file, offset, size);
        if (read > 0) {
          this.offsets[base] = offset + read;
          changed = true;
        }
      }
      const finished = (this.offsets[base] ?? 0) >= size;
      if (finished && (match[4] === 'done' || !this.pidAlive(Number(match[1])))) {
        // Read to its end, and nothing more will be written to it.
        await fs.promises.rm(file, { force: true });
        delete this.offsets[base];
        changed = true;
      }
    }
    for (const base of Object.keys(this.offsets)) if (!seen.has(base)) { delete this.offsets[base]; changed = true; }
    if (changed) await this.saveCheckpoint();
  }

  /** Takes the whole lines from `offset` on into the streams; answers the bytes they took. */
  private async readFrom(file: string, offset: number, size: number): Promise<number> {
    const handle = await fs.promises.open(file, 'r');
    try {
      const length = Math.min(size - offset, READ_BYTES);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      if (end === 0) return 0;
      const byApp = new Map<string, NewLogLine[]>();
      for (const raw of buffer.subarray(0, end).toString('utf8').split('\n')) {
        const record = raw === '' ? null : parseRouterLogRecord(raw);
        if (record === null) continue;
        const lines = byApp.get(record.a) ?? [];
        lines.push(this.line(record));
        byApp.set(record.a, lines);
      }
      await Promise.all([...byApp].map(([app, lines]) => this.sink.write(app, lines).catch((error: unknown) => {
        this.logger.warn({ err: error, app }, 'could not keep router lines');
      })));
      return end;
    } finally {
      await handle.close();
    }
  }

  private line(record: RouterLogRecord): NewLogLine {
    return { time: record.t, source: 'router', process: 'router', text: routerLineText(record, record.i === '' ? '' : this.dynoOf(record.i)) };
  }

  private checkpointFile(): string {
    return path.join(this.dir, 'checkpoint.json');
  }

  private async saveCheckpoint(): Promise<void> {
    const temp = `${this.checkpointFile()}.tmp`;
    await fs.promises.writeFile(temp, JSON.stringify(this.offsets), { mode: 0o600 });
    await fs.promises.rename(temp, this.checkpointFile());
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
