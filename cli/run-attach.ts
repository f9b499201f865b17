/**
 * The client half of the attach protocol (api/attach-protocol.ts, docs/run.md): the user's
 * terminal or pipes on one side, the upgraded API socket on the other. Resolves with the remote
 * process's exit code; always puts the terminal back the way it was.
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, FrameError, FrameType, encodeData, encodeFrame, encodeJson, parseError, parseExit } from '../api/attach-protocol';
import { CliError } from './cli-error';

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface LocalTerminal {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Raw mode on stdin and resize events: the remote process has a TTY. */
  tty: boolean;
  /** Puts the local terminal in raw mode; returns what restores it. Default: stdin.setRawMode. */
  rawMode?(): () => void;
  /** The current window size (with a TTY). */
  size(): TerminalSize | null;
  /** Calls `listener` when the window is resized; returns the function that stops it. */
  onResize(listener: () => void): () => void;
}

export function pumpAttach(socket: Duplex, head: Buffer, terminal: LocalTerminal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const decoder = new FrameDecoder();
    const cleanups: Array<() => void> = [];
    let settled = false;

    const settle = (outcome: { code: number } | { error: Error }) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups.reverse()) {
        try {
          cleanup();
        } catch {
          // the terminal may be gone already; nothing more to restore
        }
      }
      socket.destroy();
      if ('code' in outcome) resolve(outcome.code);
      else reject(outcome.error);
    };

    const send = (frame: Buffer) => {
      if (!socket.destroyed && !socket.writableEnded) socket.write(frame);
    };

    /** Writes remote output locally, holding the socket back while the local side is full. */
    const output = (target: NodeJS.WritableStream, data: Buffer) => {
      if (!target.write(data)) {
        socket.pause();
        target.once('drain', () => socket.resume());
      }
    };

    const receive = (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        if (!(error instanceof FrameError)) throw error;
        settle({ error: new CliError(`The one-off's connection sent something unreadable (${error.message}).`) });
        return;
      }
      for (const frame of frames) {
        if (settled) return;
        switch (frame.type) {
          case FrameType.stdout:
            output(terminal.stdout, frame.payload);
            break;
          case FrameType.stderr:
            output(terminal.stderr, frame.payload);
            break;
          case FrameType.exit:
            settle({ code: parseExit(frame.payload) });
            break;
          case FrameType.error: {
            const { code, message } = parseError(frame.payload);
            settle({ error: new CliError(message, code) });
            break;
          }
          default:
            break; // unknown frame types are ignored (a newer server)
        }
      }
    };

    socket.on('data', receive);
    socket.on('error', () => undefined); // 'close' reports it
    socket.on('close', () => settle({ error: new CliError('The connection to the one-off process was lost before it ended.') }));
    cleanups.push(() => socket.off('data', receive));

    const { stdin } = terminal;
    if (terminal.tty && terminal.rawMode) {
      cleanups.push(terminal.rawMode());
    } else if (terminal.tty && typeof stdin.setRawMode === 'function') {
      stdin.setRawMode(true);
      cleanups.push(() => stdin.setRawMode!(false));
    }
    const onInput = (chunk: Buffer | string) => {
      for (const frame of encodeData(FrameType.stdin, typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) send(frame);
    };
    const onEnd = () => send(encodeFrame(FrameType.stdinEof));
    stdin.on('data', onInput);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    cleanups.push(() => {
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      // Lets the CLI exit: a stdin that is still open keeps node alive otherwise.
      stdin.pause();
      (stdin as { unref?: () => void }).unref?.();
    });
    stdin.resume();

    if (terminal.tty) {
      const sendSize = () => {
        const size = terminal.size();
        if (size) send(encodeJson(FrameType.resize, size));
      };
      cleanups.push(terminal.onResize(sendSize));
    }

    if (head.length > 0) receive(head);
  });
}
