/**
 * A backend's chunked response body (RFC 9112 §7.1), checked byte by byte against the grammar
 * as it passes through the fast path (router/fast-proxy.ts) and passed on as the bytes it is.
 *
 * Why strict: the end of a chunked body is where one response stops and the next begins on a
 * backend connection, and on a client connection the router shares with other tenants' requests
 * (through a CDN or an nginx in front). A scanner that skipped to "the next CR" let an app end its
 * body with bare-LF trailer lines and then write a whole fake response that the router passed on
 * as more trailer, for an LF-tolerant client to read as the answer to its next request (issue 9).
 * Here every byte of the framing is read to the grammar with CRLF only, and the first byte that
 * does not fit stops the body: nothing from that byte on is passed on, and the backend connection
 * is thrown away.
 *
 * The grammar, as llhttp (Node's parser) reads it with its lenient flags off:
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG                     (leading zeros allowed; value below 2^48)
 *   chunk-ext    = *( ";" token [ "=" ( token / quoted-string ) ] )
 *   trailer-section = *( token ":" *field-vchar-or-space CRLF )
 *
 * No whitespace around ";" or "=" (RFC 9112 allows it as BWS; llhttp refuses it, so does the
 * router), no empty extension value (llhttp takes `;a=`), no obsolete line folding, a chunk line
 * at most 8 KB and a trailer section at most 64 KB (limits llhttp does not have). docs/router.md,
 * "Parsing and framing", lists these choices.
 *
 * Trailer fields are passed on only to a client that said `TE: trailers` (RFC 9110 §10.1.4);
 * for any other client the trailer section is dropped and the body ends with the bare CRLF.
 */
import { MAX_HEAD_BYTES, MAX_LINE_BYTES } from './request-head';
import { TOKEN_CHARS, VALUE_CHARS } from './http-grammar';

const enum State {
  /** The first digit of a chunk size. */
  SizeStart,
  Size,
  /** Just after ";": the first character of an extension name. */
  ExtNameStart,
  ExtName,
  /** Just after "=". */
  ExtValueStart,
  ExtToken,
  Quoted,
  QuotedPair,
  /** After the closing quote: ";" or CR. */
  QuotedEnd,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  /** The start of a trailer line, or the CR of the final CRLF. */
  TrailerLine,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
  Done,
}

/** Past this the size is refused (as an overflow): 2^48 bytes, far past anything real, exact in a double. */
const MAX_CHUNK_SIZE = 2 ** 48;
const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit += 1) {
  HEX[digit.toString(16).charCodeAt(0)] = digit;
  HEX[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}
/** qdtext of RFC 9110 §5.6.4: HTAB, SP, visible characters but `"` and `\`, obs-text. */
const QDTEXT = new Uint8Array(256);
for (let code = 0; code < 256; code += 1) QDTEXT[code] = code === 0x09 || code === 0x20 || code === 0x21 || (code >= 0x23 && code <= 0x7e && code !== 0x5c) || code >= 0x80 ? 1 : 0;

/** What `scan` returns when the framing is broken. */
export const BROKEN = -1;

export class ChunkedBody {
  private state = State.SizeStart;
  private size = 0;
  private remaining = 0;
  /** Bytes of the current chunk line (size and extensions), for its limit. */
  private lineBytes = 0;
  private trailerBytes = 0;
  /** Trailer fields are being left out: nothing more of the body is passed on. */
  private dropping = false;
  /** When done: the index in the last scanned chunk just past the body's last byte. */
  bodyEnd = 0;
  /** When done: bytes to send after what `scan` said to pass on ('\r\n' where dropped trailer fields were). */
  ending = '';
  /** Why the framing is broken, once it is. */
  problem = '';

  /** `keepTrailers`: the client said `TE: trailers`. */
  constructor(private readonly keepTrailers: boolean) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Reads the next bytes of the body. Returns how many bytes at the start of `chunk` are to be
   * passed on as they are, or BROKEN (then nothing of `chunk` may go out). Once `done`, the body
   * ended at `bodyEnd` in this chunk (bytes after it are not this response's) and `ending` is to
   * be sent after the bytes passed on.
   */
  scan(chunk: Buffer): number {
    let i = 0;
    const length = chunk.length;
    /** Where in `chunk` the dropped trailer started; 0 if it started in an earlier chunk. */
    let stoppedAt = 0;
    while (i < length) {
      const byte = chunk[i] as number;
      switch (this.state) {
        case State.SizeStart: {
          const digit = HEX[byte] as number;
          if (digit < 0) return this.broken('chunk size');
          this.size = digit;
          this.lineBytes = 1;
          this.state = State.Size;
          i += 1;
          break;
        }
        case State.Size: {
          const digit = HEX[byte] as number;
          if (digit >= 0) {
            this.size = this.size * 16 + digit;
            if (this.size >= MAX_CHUNK_SIZE) return this.broken('chunk size too large');
          } else if (byte === 0x0d) {
            this.state = State.SizeLf;
          } else if (byte === 0x3b /* ; */) {
            this.state = State.ExtNameStart;
          } else {
            return this.broken('chunk size');
          }
          if (++this.lineBytes > MAX_LINE_BYTES) return this.broken('chunk line too long');
          i += 1;
          break;
        }
        case State.ExtNameStart:
          if (TOKEN_CHARS[byte] !== 1) return this.broken('chunk extension');
          this.state = State.ExtName;
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.ExtName:
          if (TOKEN_CHARS[byte] === 1) {
            // A name runs on.
          } else if (byte === 0x3d /* = */) {
            this.state = State.ExtValueStart;
          } else if (byte === 0x3b) {
            this.state = State.ExtNameStart;
          } else if (byte === 0x0d) {
            this.state = State.SizeLf;
          } else {
            return this.broken('chunk extension');
          }
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.ExtValueStart:
          if (byte === 0x22 /* " */) this.state = State.Quoted;
          else if (TOKEN_CHARS[byte] === 1) this.state = State.ExtToken;
          else return this.broken('chunk extension value');
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.ExtToken:
          if (TOKEN_CHARS[byte] === 1) {
            // A value runs on.
          } else if (byte === 0x3b) {
            this.state = State.ExtNameStart;
          } else if (byte === 0x0d) {
            this.state = State.SizeLf;
          } else {
            return this.broken('chunk extension value');
          }
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.Quoted:
          if (byte === 0x22) this.state = State.QuotedEnd;
          else if (byte === 0x5c /* \ */) this.state = State.QuotedPair;
          else if (QDTEXT[byte] !== 1) return this.broken('chunk extension value');
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.QuotedPair:
          // HTAB, SP, VCHAR or obs-text may be escaped.
          if (byte !== 0x09 && (byte < 0x20 || byte === 0x7f)) return this.broken('chunk extension value');
          this.state = State.Quoted;
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.QuotedEnd:
          if (byte === 0x3b) this.state = State.ExtNameStart;
          else if (byte === 0x0d) this.state = State.SizeLf;
          else return this.broken('chunk extension');
          i = this.extensionByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.SizeLf:
          if (byte !== 0x0a) return this.broken('chunk size line not ended by CRLF');
          i += 1;
          if (this.size === 0) {
            this.state = State.TrailerLine;
          } else {
            this.remaining = this.size;
            this.state = State.Data;
          }
          break;
        case State.Data: {
          const take = Math.min(this.remaining, length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (byte !== 0x0d) return this.broken('chunk data not followed by CRLF');
          this.state = State.DataLf;
          i += 1;
          break;
        case State.DataLf:
          if (byte !== 0x0a) return this.broken('chunk data not followed by CRLF');
          this.state = State.SizeStart;
          i += 1;
          break;
        case State.TrailerLine:
          if (byte === 0x0d) {
            this.state = State.FinalLf;
          } else if (TOKEN_CHARS[byte] === 1) {
            if (!this.keepTrailers && !this.dropping) {
              this.dropping = true;
              stoppedAt = i;
            }
            this.state = State.TrailerName;
          } else {
            return this.broken('trailer field name');
          }
          i = this.trailerByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.TrailerName:
          if (byte === 0x3a /* : */) this.state = State.TrailerValue;
          else if (TOKEN_CHARS[byte] !== 1) return this.broken('trailer field name');
          i = this.trailerByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.TrailerValue:
          if (byte === 0x0d) this.state = State.TrailerLf;
          else if (VALUE_CHARS[byte] !== 1) return this.broken('trailer field value');
          i = this.trailerByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.TrailerLf:
          if (byte !== 0x0a) return this.broken('trailer line not ended by CRLF');
          this.state = State.TrailerLine;
          i = this.trailerByte(i);
          if (i < 0) return BROKEN;
          break;
        case State.FinalLf:
          if (byte !== 0x0a) return this.broken('chunked body not ended by CRLF');
          this.state = State.Done;
          this.bodyEnd = i + 1;
          if (this.dropping) {
            this.ending = '\r\n';
            return stoppedAt;
          }
          return i + 1;
        case State.Done:
          this.bodyEnd = i;
          return this.dropping ? stoppedAt : i;
      }
    }
    return this.dropping ? stoppedAt : length;
  }

  /** Counts one byte of a chunk line's extensions against the line limit; the next index, or BROKEN. */
  private extensionByte(i: number): number {
    if (++this.lineBytes > MAX_LINE_BYTES) return this.broken('chunk line too long');
    return i + 1;
  }

  /** Counts one byte of the trailer section against its limit; the next index, or BROKEN. */
  private trailerByte(i: number): number {
    if (++this.trailerBytes > MAX_HEAD_BYTES) return this.broken('trailer section too large');
    return i + 1;
  }

  private broken(problem: string): number {
    this.problem = problem;
    return BROKEN;
  }
}
