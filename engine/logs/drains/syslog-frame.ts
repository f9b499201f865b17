/**
 * Log lines as drains receive them (pure): RFC 5424 messages, each framed by RFC 6587 octet
 * counting (`<length> <message>`), as Heroku's Logplex sends to syslog and HTTPS drains:
 * `<190>1 2026-12-05T18:00:00.123456+00:00 my-app app web.1 - - listening on 5000`.
 */
import { formatTime, type LogLine } from '../log-line';

/** local7.info, as Logplex sends every line. */
const PRI = 190;

/** A header field: printable US-ASCII without spaces, 1..max characters, else "-" (RFC 5424 §6). */
function field(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** HOSTNAME is the app, APP-NAME the source, PROCID the process; no MSGID, no structured data. */
export function syslogMessage(app: string, line: Pick<LogLine, 'time' | 'source' | 'process' | 'text'>): string {
  return `<${PRI}>1 ${formatTime(line.time)} ${field(app, 255)} ${field(line.source, 48)} ${field(line.process, 128)} - - ${line.text}`;
}

/** RFC 6587 §3.4.1: the message's length in bytes, a space, the message. */
export function octetFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

export function frameLines(app: string, lines: readonly LogLine[]): string {
  let out = '';
  for (const line of lines) out += octetFrame(syslogMessage(app, line));
  return out;
}

/** Splits octet-counted frames (for tests and receivers); the rest that is not a whole frame yet is returned. */
export function parseOctetFrames(data: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let offset = 0;
  for (;;) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(data.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new Error(`not an octet count at byte ${offset}`);
    if (space + 1 + length > data.length) break;
    messages.push(data.subarray(space + 1, space + 1 + length).toString('utf8'));
    offset = space + 1 + length;
  }
  return { messages, rest: data.subarray(offset) };
}
