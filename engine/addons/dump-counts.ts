/**
 * Counting what a backup holds from the dump itself, as it streams past (pure, no I/O). The counts
 * then describe exactly the snapshot that was dumped, not the live database a moment later, and
 * are what a verification compares a restored scratch server against.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { DataCounts } from './kinds';

const NEWLINE = 0x0a;
const TAIL = 512;

/** A pass-through that sees the stream line by line and keeps the last bytes for a trailer check. */
abstract class LineCounter extends Transform {
  readonly counts: DataCounts = {};
  private partial: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  /** Called with each complete line (without its newline). */
  protected abstract line(line: Buffer): void;
  /**
   * The fast path for a line (`data[start..end)`) while the subclass is in a block of data rows:
   * true when it was taken as a row. A 1 GB dump has millions of rows, so no Buffer is made per row.
   */
  protected abstract rowLine(data: Buffer, start: number, end: number): boolean;

  /** The last bytes seen, to check that the dump ended with its tool's completion line. */
  get ending(): string {
    return this.tail.toString('utf8');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tail = Buffer.concat([this.tail, chunk.subarray(-TAIL)]).subarray(-TAIL);
    let start = 0;
    let data = chunk;
    if (this.partial.length > 0) {
      data = Buffer.concat([this.partial, chunk]);
      this.partial = Buffer.alloc(0);
    }
    for (;;) {
      const end = data.indexOf(NEWLINE, start);
      if (end < 0) break;
      if (!this.rowLine(data, start, end)) this.line(data.subarray(start, end));
      start = end + 1;
    }
    if (start < data.length) this.partial = Buffer.from(data.subarray(start));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.partial.length > 0) this.line(this.partial);
    callback();
  }
}

/**
 * pg_dump's plain format: `COPY schema.table (cols) FROM stdin;`, one line per row (newlines in
 * values are escaped as \n), ended by `\.`. Names keep pg_dump's quoting, which is also what
 * format('%I.%I') gives on the counting side.
 */
export class PgDumpCounter extends LineCounter {
  private table: string | null = null;

  protected rowLine(data: Buffer, start: number, end: number): boolean {
    if (this.table === null) return false;
    if (end - start === 2 && data[start] === 0x5c && data[start + 1] === 0x2e) {
      this.table = null;
    } else {
      this.counts[this.table] = (this.counts[this.table] ?? 0) + 1;
    }
    return true;
  }

  protected line(line: Buffer): void {
    if (line.length < 5 || line[0] !== 0x43 /* C */) return;
    const text = line.toString('utf8');
    const match = /^COPY (.+?)(?: \(.*\))? FROM stdin;$/.exec(text);
    if (!match) return;
    this.table = match[1] as string;
    this.counts[this.table] ??= 0;
  }

  get complete(): boolean {
    return this.ending.includes('-- PostgreSQL database dump complete');
  }
}

/**
 * mysqldump with --skip-extended-insert: one `INSERT INTO \`table\` VALUES (...);` line per row
 * (newlines in values are escaped); `CREATE TABLE \`table\`` registers empty tables too.
 */
export class MysqlDumpCounter extends LineCounter {
  protected rowLine(): boolean {
    return false;
  }

  protected line(line: Buffer): void {
    const first = line[0];
    if (first === 0x49 /* I */) {
      const name = quotedName(line, 'INSERT INTO `');
      if (name !== null) this.counts[name] = (this.counts[name] ?? 0) + 1;
    } else if (first === 0x43 /* C */) {
      const name = quotedName(line, 'CREATE TABLE `');
      if (name !== null) this.counts[name] ??= 0;
    }
  }

  get complete(): boolean {
    return this.ending.includes('-- Dump completed');
  }
}

/** `PREFIX name\` ...` → name, with mysqldump's doubled backticks undone. */
function quotedName(line: Buffer, prefix: string): string | null {
  if (line.length <= prefix.length || line.toString('latin1', 0, prefix.length) !== prefix) return null;
  // Scan only the head of the line: names are at most 64 characters (doubled quotes aside).
  const text = line.toString('utf8', prefix.length, Math.min(line.length, prefix.length + 300));
  let name = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '`') {
      if (text[i + 1] === '`') { name += '`'; i++; continue; }
      return name;
    }
    name += text[i];
  }
  return null;
}

/**
 * A Redis RDB file: its head declares the size of the first non-empty database (RESIZEDB), which
 * is the key count of the snapshot. Collects the head (the first few kilobytes) and checks the end
 * (EOF opcode followed by an 8-byte checksum).
 */
export class RdbCounter extends Transform {
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);
  private size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.head.length < 64 * 1024) this.head = Buffer.concat([this.head, chunk]).subarray(0, 64 * 1024);
    this.tail = Buffer.concat([this.tail, chunk.subarray(-16)]).subarray(-16);
    this.size += chunk.length;
    callback(null, chunk);
  }

  get counts(): DataCounts {
    return parseRdbHead(this.head);
  }

  get complete(): boolean {
    return this.size >= 18 && this.head.toString('latin1', 0, 5) === 'REDIS' && this.tail[this.tail.length - 9] === 0xff;
  }
}

const OP = { slotInfo: 0xf4, function2: 0xf5, functionPreGa: 0xf6, moduleAux: 0xf7, aux: 0xfa, resizeDb: 0xfb, selectDb: 0xfe, eof: 0xff } as const;

/**
 * Reads an RDB head up to the first database's RESIZEDB: `{ db<N>: keys }`, or `{}` for an empty
 * dataset. Throws when the head is not an RDB file or uses something it does not know.
 */
export function parseRdbHead(data: Buffer): DataCounts {
  if (data.length < 9 || data.toString('latin1', 0, 5) !== 'REDIS') throw new Error('not a Redis RDB file');
  let at = 9;
  const byte = (): number => {
    if (at >= data.length) throw new Error('RDB head is truncated');
    return data[at++] as number;
  };
  const length = (): { value: number; special: number | null } => {
    const first = byte();
    const kind = first >> 6;
    if (kind === 0) return { value: first & 0x3f, special: null };
    if (kind === 1) return { value: ((first & 0x3f) << 8) | byte(), special: null };
    if (kind === 3) return { value: 0, special: first & 0x3f };
    if (first === 0x80) {
      if (at + 4 > data.length) throw new Error('RDB head is truncated');
      const value = data.readUInt32BE(at); at += 4; return { value, special: null };
    }
    if (first === 0x81) {
      if (at + 8 > data.length) throw new Error('RDB head is truncated');
      const value = Number(data.readBigUInt64BE(at)); at += 8; return { value, special: null };
    }
    throw new Error(`RDB length encoding 0x${first.toString(16)} is unknown`);
  };
  const skipString = (): void => {
    const { value, special } = length();
    if (special === null) { at += value; return; }
    if (special === 0) at += 1;
    else if (special === 1) at += 2;
    else if (special === 2) at += 4;
    else if (special === 3) { const compressed = length().value; length(); at += compressed; }
    else throw new Error(`RDB string encoding ${special} is unknown`);
  };
  let db: number | null = null;
  for (;;) {
    const op = byte();
    if (op === OP.aux) { skipString(); skipString(); continue; }
    if (op === OP.function2 || op === OP.functionPreGa) { skipString(); continue; }
    if (op === OP.selectDb) { db = length().value; continue; }
    if (op === OP.resizeDb) {
      const keys = length().value;
      length();
      return { [`db${db ?? 0}`]: keys };
    }
    if (op === OP.eof) return {};
    throw new Error(`RDB head: opcode 0x${op.toString(16)} before the first database's size`);
  }
}

/** Differences between two sets of counts, as sentences. */
export function compareCounts(expected: DataCounts, actual: DataCounts, unit: string): string[] {
  const mismatches: string[] = [];
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const name of names) {
    const want = expected[name];
    const got = actual[name];
    if (want === undefined) mismatches.push(`${name}: not in the backup, found ${got} ${unit} after restoring`);
    else if (got === undefined) mismatches.push(`${name}: expected ${want} ${unit}, missing after restoring`);
    else if (want !== got) mismatches.push(`${name}: expected ${want} ${unit}, found ${got}`);
  }
  return mismatches;
}
