/**
 * The lines of a process's output worth quoting when it fails to start. When `npm start` runs the
 * app, npm follows the app's own error with a dozen lines of its own (`npm ERR! code ELIFECYCLE`,
 * `npm ERR! A complete log of this run…`, or `npm error …` from npm 9 on) that push the app's
 * real error out of a short tail. Those are left out; everything else is kept as written.
 */

/** npm's own failure report: `npm ERR! …` (npm ≤ 8) and `npm error …` (npm ≥ 9). */
const NPM_NOISE = /^npm (?:ERR!|error)(?:\s|$)/;

export interface StartupOutput {
  /** The last lines worth quoting, oldest first. */
  lines: string[];
  /** How many of npm's own lines were left out of what was read. */
  dropped: number;
}

/**
 * The last `max` lines of `log` that are not npm's own error report. When npm's lines are all
 * there is, they are kept (something beats nothing). Pure.
 */
export function startupOutputTail(log: string, max: number): StartupOutput {
  const all = log.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trimEnd());
  while (all.length > 0 && all[all.length - 1] === '') all.pop();
  const kept = all.filter((line) => !NPM_NOISE.test(line.trimStart()));
  const useful = kept.some((line) => line.trim() !== '') ? kept : all;
  const dropped = all.length - useful.length;
  // Blank lines left where npm's block was cut out say nothing.
  const tidy = useful.filter((line, i) => line !== '' || (i > 0 && useful[i - 1] !== ''));
  while (tidy.length > 0 && tidy[tidy.length - 1] === '') tidy.pop();
  const tail = max > 0 ? tidy.slice(-max) : [];
  while (tail.length > 0 && tail[0] === '') tail.shift();
  return { lines: tail, dropped };
}

/** How many lines to read from a log so that `max` remain after npm's lines are left out. */
export function linesToRead(max: number): number {
  return max * 4;
}

/** The text quoted after a start failure's reason: the tail, or that the process wrote nothing. */
export function startupOutputText(log: string, max: number): string {
  const { lines, dropped } = startupOutputTail(log, max);
  if (lines.length === 0) return '\nIt wrote nothing to its log.';
  const note = dropped > 0 ? ' (npm\'s own error lines left out)' : '';
  return `\nLast lines of its log${note}:\n${lines.join('\n')}`;
}
