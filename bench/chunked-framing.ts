/**
 * What reading chunked response bodies strictly costs the fast path, two ways (issue 9):
 *
 * - `validate`: router/chunked-body.ts, which checks every framing byte against the grammar and
 *   passes the bytes on as they are (what the router does);
 * - `reencode`: decode the chunks (the same checks), then write the data out again as fresh
 *   chunks, as nginx and HAProxy do (the alternative).
 *
 * Each mode runs one body `iterations` times; `none` only loops over the bodies, as the baseline
 * to subtract. Run under `valgrind --tool=callgrind` for instruction counts that do not depend on
 * what else the machine is doing (docs/router.md, "Parsing and framing"):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node dist/bench/chunked-framing.js validate small 20000
 *
 * Bodies: `small` is what a Node app's `res.write('…'); res.end('…')` sends (two short chunks and
 * the last chunk, read in one piece); `large` is 64 KB in 16 chunks of 4 KB, read in 16 KB pieces.
 */
import { BROKEN, ChunkedBody } from '../router/chunked-body';

type Mode = 'none' | 'validate' | 'reencode';

function bodyPieces(kind: string): Buffer[] {
  if (kind === 'small') return [Buffer.from('6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n', 'latin1')];
  const chunk = `1000\r\n${'x'.repeat(4096)}\r\n`;
  const whole = Buffer.from(`${chunk.repeat(16)}0\r\n\r\n`, 'latin1');
  const pieces: Buffer[] = [];
  for (let at = 0; at < whole.length; at += 16 * 1024) pieces.push(whole.subarray(at, Math.min(whole.length, at + 16 * 1024)));
  return pieces;
}

/**
 * Decodes a chunked body and encodes its data again as one chunk per piece read: the other way a
 * proxy can keep a client from ever seeing a backend's framing bytes. Checks the same grammar as
 * ChunkedBody (the checks are not what is compared); extensions and trailers are dropped.
 */
class Reencoder {
  private readonly check = new ChunkedBody(false);
  private state: 'size' | 'line' | 'data' | 'crlf' | 'tail' = 'size';
  private remaining = 0;
  private size = 0;

  /** The bytes to send for `piece`, or null when the framing is broken. */
  push(piece: Buffer): Buffer | null {
    if (this.check.scan(piece) === BROKEN) return null;
    const data: Buffer[] = [];
    let i = 0;
    while (i < piece.length) {
      const byte = piece[i] as number;
      if (this.state === 'size') {
        if (byte === 0x0d || byte === 0x3b) this.state = 'line';
        else this.size = this.size * 16 + (byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x57);
        i += 1;
      } else if (this.state === 'line') {
        if (byte === 0x0a) {
          this.remaining = this.size;
          this.state = this.size === 0 ? 'tail' : 'data';
          this.size = 0;
        }
        i += 1;
      } else if (this.state === 'data') {
        const take = Math.min(this.remaining, piece.length - i);
        data.push(piece.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'crlf';
      } else if (this.state === 'crlf') {
        if (byte === 0x0a) this.state = 'size';
        i += 1;
      } else {
        i = piece.length;
      }
    }
    const out: Buffer[] = [];
    let length = 0;
    for (const part of data) length += part.length;
    if (length > 0) out.push(Buffer.from(`${length.toString(16)}\r\n`, 'latin1'), ...data, CRLF);
    if (this.check.done) out.push(LAST_CHUNK);
    return Buffer.concat(out);
  }
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

function run(mode: Mode, pieces: readonly Buffer[], iterations: number): number {
  let bytes = 0;
  for (let n = 0; n < iterations; n += 1) {
    if (mode === 'validate') {
      const body = new ChunkedBody(false);
      for (const piece of pieces) bytes += body.scan(piece);
    } else if (mode === 'reencode') {
      const body = new Reencoder();
      for (const piece of pieces) bytes += body.push(piece)?.length ?? 0;
    } else {
      for (const piece of pieces) bytes += piece.length;
    }
  }
  return bytes;
}

function main(): void {
  const [mode = 'validate', kind = 'small', count = '20000'] = process.argv.slice(2);
  if (!['none', 'validate', 'reencode'].includes(mode) || !['small', 'large'].includes(kind)) {
    console.error('usage: node dist/bench/chunked-framing.js none|validate|reencode small|large [iterations]');
    process.exit(2);
  }
  const pieces = bodyPieces(kind);
  const iterations = Number(count);
  const started = process.hrtime.bigint();
  const bytes = run(mode as Mode, pieces, iterations);
  const ns = Number(process.hrtime.bigint() - started);
  console.log(JSON.stringify({ mode, kind, iterations, bytes, nsPerBody: Math.round(ns / iterations) }));
}

main();
