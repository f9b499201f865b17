/** Messages written for users (what to send instead), shown as they are rather than after a path. */
const HINTS = new Set<string>();

/** A schema's error option with a message for users: `z.string(hint('Give the app a name: {"name": "my-app"}'))`. */
export function hint(message: string): { error: string } {
  HINTS.add(message);
  return { error: message };
}

export function isHint(message: string): boolean {
  return HINTS.has(message);
}
