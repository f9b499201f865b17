/** What the CLI reads and writes: its streams, environment and working directory (injected in tests). */
import type { Env } from './format';
import type { TerminalInput } from './prompt';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Env;
  cwd: string;
  /** For `login`'s questions and `--password-stdin`; default: process.stdin. */
  stdin?: TerminalInput;
}
