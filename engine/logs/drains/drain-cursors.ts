/**
 * How far each drain has delivered its app's stream: the number of the last line it confirmed,
 * one owner-only file per drain under the state dir (`logs/drains/<drain id>.json`). The lines
 * themselves are not copied: they are in the app's history (LogStore), so after a restart the
 * drain's buffer is filled again from there with every line after its cursor (drains-service.ts).
 * Written at most every WRITE_MS and at close: a crash can only make a drain send lines again.
 */
import fs from 'node:fs';
import path from 'node:path';

const WRITE_MS = 500;
const DRAIN_ID = /^[0-9a-f-]{36}$/;

export class DrainCursors {
  private readonly values = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The last line the drain confirmed, or null when none was ever recorded. */
  async get(id: string): Promise<number | null> {
    const known = this.values.get(id);
    if (known !== undefined) return known;
    try {
      const saved = JSON.parse(await fs.promises.readFile(this.fileOf(id), 'utf8')) as { acked?: unknown };
      return typeof saved.acked === 'number' && Number.isSafeInteger(saved.acked) && saved.acked >= 0 ? saved.acked : null;
    } catch {
      return null;
    }
  }

  /** Records that the drain has every line up to `seq` (never moves back). */
  set(id: string, seq: number): void {
    if ((this.values.get(id) ?? -1) >= seq) return;
    this.values.set(id, seq);
    this.dirty.add(id);
    this.timer ??= setTimeout(() => { this.timer = null; void this.flush(); }, WRITE_MS);
  }

  async remove(id: string): Promise<void> {
    this.values.delete(id);
    this.dirty.delete(id);
    await this.writing;
    await fs.promises.rm(this.fileOf(id), { force: true });
  }

  flush(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    this.writing = this.writing.then(async () => {
      for (const id of ids) {
        const acked = this.values.get(id);
        if (acked === undefined) continue; // removed meanwhile
        const file = this.fileOf(id);
        const temp = `${file}.${process.pid}.tmp`;
        await fs.promises.writeFile(temp, JSON.stringify({ acked }), { mode: 0o600 });
        await fs.promises.rename(temp, file);
      }
    }).catch(() => undefined);
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private fileOf(id: string): string {
    if (!DRAIN_ID.test(id)) throw new Error(`not a drain id: ${id}`);
    return path.join(this.dir, `${id}.json`);
  }
}
