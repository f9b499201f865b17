/** Log lines for a terminal, coloured by source and process as Heroku's CLI does (pure). */
import { colors } from './format';

/** `2026-12-05T18:00:00.123456+00:00 app[web.1]: text` → its parts; null for anything else. */
const LINE = /^(\S+) ([a-z]+)\[([^\]]*)\]: ?(.*)$/;

const PROCESS_COLORS = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red'] as const;

/** The same process always gets the same colour (web.1 and web.2 differ). */
function processColor(process: string): (typeof PROCESS_COLORS)[number] {
  let hash = 0;
  for (const char of process) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PROCESS_COLORS[hash % PROCESS_COLORS.length]!;
}

export function colorLogLine(line: string, enabled: boolean): string {
  if (!enabled) return line;
  const match = LINE.exec(line);
  if (!match) return line;
  const c = colors(true);
  const [, time, source, process, text] = match as unknown as [string, string, string, string, string];
  const tag = `${source}[${process}]:`;
  let coloredTag: string;
  if (source === 'app') coloredTag = c[processColor(process)](tag);
  else if (source === 'router') coloredTag = c.blue(tag);
  else if (source === 'build') coloredTag = c.yellow(tag);
  else coloredTag = c.magenta(tag);
  const body = source === 'router' ? routerText(text, c) : text;
  return `${c.dim(time)} ${coloredTag} ${body}`;
}

function routerText(text: string, c: ReturnType<typeof colors>): string {
  return text.replace(/\bstatus=(\d{3})\b/, (all, status: string) =>
    status.startsWith('5') ? c.red(all) : status.startsWith('4') ? c.yellow(all) : c.green(all))
    .replace(/^at=error/, c.red('at=error'));
}
