/**
 * Runs one command inside a running container (docker exec) with streamed stdin and stdout, and
 * backpressure both ways: a multi-gigabyte dump flows through without being held in memory.
 * Docker multiplexes stdout and stderr in 8-byte-header frames when there is no TTY.
 */
import { Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecRequest {
  /** The container's user to run as (a name from the image's /etc/passwd). */
  user: string;
  cmd: string[];
  /** Fed to the command's stdin, which is then closed. */
  stdin?: Readable | string;
  /** Where stdout goes; collected (up to a limit) into the result when absent. */
  stdout?: Writable;
}

export interface ExecResult {
  exitCode: number;
  /** Collected stdout (empty when it went to `stdout`). */
  stdout: string;
  /** The end of stderr, for error messages. */
  stderr: string;
}

export type ExecFn = (container: string, request: ExecRequest) => Promise<ExecResult>;

const COLLECT_LIMIT = 4 * 1024 * 1024;
const STDERR_LIMIT = 16 * 1024;

/** Splits Docker's frames; stdout goes to `out` honouring its backpressure. */
export class FrameSplitter extends Writable {
  private pending: Buffer = Buffer.alloc(0);
  private stdoutChunks: Buffer[] = [];
  private stdoutSize = 0;
  private stderrTail = '';

  constructor(private readonly out: Writable | null) {
    super();
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  get stderr(): string {
    return this.stderrTail;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const payloads: Buffer[] = [];
    while (this.pending.length >= 8) {
      const type = this.pending[0];
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      if (type === 2) {
        this.stderrTail = (this.stderrTail + payload.toString('utf8')).slice(-STDERR_LIMIT);
      } else if (this.out) {
        payloads.push(payload);
      } else if (this.stdoutSize < COLLECT_LIMIT) {
        this.stdoutChunks.push(payload);
        this.stdoutSize += payload.length;
      }
    }
    if (!this.out || payloads.length === 0) return callback();
    const out = this.out;
    let ok = true;
    for (const payload of payloads) ok = out.write(payload) && ok;
    if (ok) return callback();
    const onDrain = (): void => { out.off('error', onError); callback(); };
    const onError = (error: Error): void => { out.off('drain', onDrain); callback(error); };
    out.once('drain', onDrain);
    out.once('error', onError);
  }
}

export function dockerExec(docker: Docker): ExecFn {
  return async (containerName, request) => {
    const container = docker.getContainer(containerName);
    const exec = await container.exec({
      Cmd: request.cmd,
      User: request.user,
      AttachStdin: request.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const socket = (await exec.start({ hijack: true, stdin: request.stdin !== undefined })) as unknown as NodeJS.ReadWriteStream & {
      destroy(error?: Error): void;
      end(): void;
    };
    const splitter = new FrameSplitter(request.stdout ?? null);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(error);
      };
      splitter.on('finish', () => { if (!settled) { settled = true; resolve(); } });
      splitter.on('error', fail);
      socket.on('error', fail);
      socket.pipe(splitter);
      if (typeof request.stdin === 'string') {
        socket.write(request.stdin);
        socket.end();
      } else if (request.stdin) {
        const input = request.stdin;
        let ended = false;
        input.once('end', () => { ended = true; });
        input.once('error', (error: Error) => fail(error));
        // Destroyed upstream (a broken gzip stream, say) without an error of its own: the command
        // must not wait for the rest of its stdin forever.
        input.once('close', () => { if (!ended) fail(new Error('the input stream closed before its end')); });
        input.pipe(socket as NodeJS.WritableStream);
      } else {
        // No stdin: close our side so the stream ends when the command does.
      }
    });
    // The stream ends when the command's output does; its exit code is known a moment later.
    for (let attempt = 0; ; attempt++) {
      const info = await exec.inspect();
      if (!info.Running) {
        return { exitCode: info.ExitCode ?? -1, stdout: splitter.stdout, stderr: splitter.stderr };
      }
      if (attempt > 200) throw new Error(`docker exec ${request.cmd[0]} did not finish after its output ended`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
}
