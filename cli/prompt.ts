/**
 * Questions on the terminal (`login`): the prompt goes to stderr so stdout stays clean, a
 * password is read in raw mode without echo. Scripts pass the password on stdin instead
 * (`--password-stdin`), read whole by readAll.
 */
import { CliError } from './cli-error';

export interface Prompter {
  /** Whether stdin is a terminal that can be asked. */
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
  /** Like ask, without echoing what is typed. */
  askHidden(question: string): Promise<string>;
  /** Everything on stdin, up to its end. */
  readAll(): Promise<string>;
}

export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACES = new Set(['\u007f', '\b']);

/** Applies typed characters to a line: the line so far, and whether Enter, Ctrl-C or Ctrl-D ended it. */
export function editLine(line: string, typed: string): { line: string; end: 'enter' | 'interrupt' | 'eof' | null } {
  let current = line;
  for (const char of typed) {
    if (char === '\r' || char === '\n') return { line: current, end: 'enter' };
    if (char === CTRL_C) return { line: current, end: 'interrupt' };
    if (char === CTRL_D) return { line: current, end: current === '' ? 'eof' : 'enter' };
    if (BACKSPACES.has(char)) current = [...current].slice(0, -1).join('');
    else if (char >= ' ') current += char;
  }
  return { line: current, end: null };
}

export function terminalPrompter(stdin: TerminalInput, stderr: NodeJS.WritableStream): Prompter {
  const readLine = (question: string, echo: boolean): Promise<string> => {
    if (stdin.isTTY !== true || !stdin.setRawMode) {
      return Promise.reject(new CliError('stdin is not a terminal, so nothing can be asked: use --username NAME --password-stdin.'));
    }
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    return new Promise<string>((resolve, reject) => {
      let line = '';
      const finish = (error: Error | null) => {
        stdin.removeListener('data', onData);
        stdin.setRawMode?.(false);
        stdin.pause();
        stderr.write('\n');
        if (error) reject(error);
        else resolve(line);
      };
      const onData = (chunk: string | Buffer) => {
        const before = line;
        const result = editLine(line, String(chunk));
        line = result.line;
        if (echo) {
          if (line.startsWith(before)) stderr.write(line.slice(before.length));
          else stderr.write('\b \b'.repeat([...before].length - [...line].length));
        }
        if (result.end === 'interrupt') finish(new CliError('Interrupted.'));
        else if (result.end === 'eof') finish(new CliError('No answer given (end of input).'));
        else if (result.end === 'enter') finish(null);
      };
      stdin.on('data', onData);
    });
  };
  return {
    interactive: stdin.isTTY === true,
    ask: (question) => readLine(question, true),
    askHidden: (question) => readLine(question, false),
    readAll: () =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        stdin.on('data', (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
        stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        stdin.once('error', reject);
        stdin.resume();
      }),
  };
}
