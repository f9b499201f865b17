/** Durations as people type them (`30s`, `15m`, `1h`, `30d`, `2w`), shared by the CLI and the API's schemas. */

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

export const DURATION_HELP = 'a number and a unit: s, m, h, d or w (e.g. 90m, 1h, 30d)';

/** Seconds in `text`, or null when it is not a positive whole number followed by one unit. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,7})([smhdw])$/.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return seconds > 0 ? seconds : null;
}
