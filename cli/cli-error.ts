/**
 * An error the CLI shows to the user as one readable line (` !    <message>`) before exiting
 * with status 1. Anything else that escapes a command is a bug and is reported as such.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** The API's error code when the message came from the API (`app_exists`, …). */
    readonly code: string | null = null,
    /** The HTTP status when the message came from the API. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}

/** Collapses whitespace and line breaks so a message always prints as a single line. */
export function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}
