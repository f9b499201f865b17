/**
 * The attach protocol of one-off processes, `slipway-attach/1` (docs/run.md): after an HTTP
 * Upgrade on the API server, both sides exchange frames of
 *
 *   [type: 1 byte][length: 4 bytes, big-endian][payload: length bytes]
 *
 * Pure encoding and decoding, shared by the API (api/attach-server.ts) and the CLI
 * (cli/run-attach.ts); no I/O and no imports, so the CLI pulls nothing of the server in.
 */

export const ATTACH_PROTOCOL = 'slipway-attach/1';

export const FrameType = {
  /** client → server: bytes for the process's stdin. */
  stdin: 0x00,
  /** server → client: bytes the process wrote to stdout (everything, with a TTY). */
  stdout: 0x01,
  /** server → client: bytes the process wrote to stderr (never sent with a TTY). */
  stderr: 0x02,
  /** client → server: JSON {"cols": n, "rows": n}, the terminal's new size. */
  resize: 0x03,
  /** client → server: no payload; the process's stdin reaches its end (EOF). */
  stdinEof: 0x04,
  /** server → client: JSON {"code": n}, the process's exit code; the last frame, then the server closes. */
  exit: 0x05,
  /** server → client: JSON {"code": "…", "message": "…"}: the run failed; the last frame, then the server closes. */
  error: 0x06,
} as const;

export type FrameTypeName = keyof typeof FrameType;

export interface Frame {
  type: number;
  payload: Buffer;
}

export const HEADER_BYTES = 5;
/** Larger frames are a protocol error: writers split data into frames of at most this size. */
export const MAX_PAYLOAD = 1024 * 1024;

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new FrameError(`frame type ${type} is not a byte`);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > MAX_PAYLOAD) throw new FrameError(`frame payload of ${body.length} bytes is over ${MAX_PAYLOAD}`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Frames carrying `data`, split so that none is over MAX_PAYLOAD. */
export function encodeData(type: number, data: Buffer): Buffer[] {
  if (data.length <= MAX_PAYLOAD) return [encodeFrame(type, data)];
  const frames: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += MAX_PAYLOAD) frames.push(encodeFrame(type, data.subarray(offset, offset + MAX_PAYLOAD)));
  return frames;
}

export function encodeJson(type: number, value: unknown): Buffer {
  return encodeFrame(type, JSON.stringify(value));
}

/**
 * Turns a byte stream back into frames, whatever its chunking. Throws FrameError on a frame
 * longer than MAX_PAYLOAD (after which the stream cannot be trusted and must be closed).
 */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.buffered.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: Frame[] = [];
    let data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = data.readUInt32BE(offset + 1);
      if (length > MAX_PAYLOAD) throw new FrameError(`frame payload of ${length} bytes is over ${MAX_PAYLOAD}`);
      if (data.length - offset < HEADER_BYTES + length) break;
      frames.push({ type: data[offset]!, payload: Buffer.from(data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length)) });
      offset += HEADER_BYTES + length;
    }
    data = data.subarray(offset);
    this.buffered = data.length > 0 ? [data] : [];
    this.bufferedBytes = data.length;
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }
}

function parseJson(payload: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

const MAX_SIDE = 10_000;

/** The payload of a resize frame, or null when it is not a sensible size. */
export function parseResize(payload: Buffer): { cols: number; rows: number } | null {
  const value = parseJson(payload);
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_SIDE;
  return value && ok(value.cols) && ok(value.rows) ? { cols: value.cols, rows: value.rows } : null;
}

/** The payload of an exit frame; a frame without a usable code reads as 1. */
export function parseExit(payload: Buffer): number {
  const code = parseJson(payload)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
}

/** The payload of an error frame. */
export function parseError(payload: Buffer): { code: string; message: string } {
  const value = parseJson(payload);
  return {
    code: typeof value?.code === 'string' ? value.code : 'internal',
    message: typeof value?.message === 'string' ? value.message : 'The one-off process failed.',
  };
}
