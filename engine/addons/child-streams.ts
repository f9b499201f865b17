/**
 * Helper processes (gzip, cat) that a dump or a restore streams through: how they end, and their
 * output as a stream that fails when they do. One job: turning a child's exit into stream events.
 */
import type { ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

/** Buffered after the child, so neither side waits on the other's every step. */
const BUFFER = 1024 * 1024;

/** A helper process that did not exit with 0: how it ended, and its complaint in the message. */
export class ChildFailed extends Error {
  constructor(message: string, readonly code: number | null, readonly signal: NodeJS.Signals | null) {
    super(message);
  }
}

/** Resolves when the child exits with 0; rejects (ChildFailed) with the end of its stderr otherwise. */
export function exited(child: ChildProcess, what: string): Promise<void> {
  let complaint = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { complaint = (complaint + text).slice(-2000); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ChildFailed(`${what} failed (${signal ?? `exit ${code}`}): ${complaint.trim()}`, code, signal));
    });
  });
}

/**
 * The child's stdout, ending when the child exits with 0 and failing with its complaint
 * otherwise (a stdout that merely ended says nothing about success). Whoever stops reading
 * (destroys the stream) stops the child too.
 */
export function outputOf(child: ChildProcess, what: string): Readable {
  const out = new PassThrough({ highWaterMark: BUFFER });
  child.stdout!.pipe(out, { end: false });
  exited(child, what).then(() => out.end(), (error: Error) => out.destroy(error));
  out.once('close', () => { if (child.exitCode === null) child.kill(); });
  return out;
}
