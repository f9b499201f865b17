/**
 * The router process's logger: the same JSON lines as lib/log.ts (pino, `component: "router"`,
 * ISO time), but written in batches rather than one write(2) per line. An access log line per
 * request would otherwise cost a system call per request, a good part of the router's CPU.
 * Lines wait at most FLUSH_INTERVAL_MS; everything is flushed when the process exits.
 *
 * Access lines skip the logger and go to the same destination directly (router/access-log.ts).
 */
import pino from 'pino';
import type { Logger } from '../lib/log';
import type { AccessLineSink } from './access-log';

/** Bytes gathered before a write. */
const BATCH_BYTES = 8 * 1024;
/** Longest a line waits before it is written. */
const FLUSH_INTERVAL_MS = 100;
const BASE = { component: 'router' } as const;

export interface RouterLogging {
  readonly logger: Logger;
  /** Access lines for a logger with these extra bindings (e.g. a cluster worker's `{ worker }`). */
  accessLines(bindings?: Readonly<Record<string, unknown>>): AccessLineSink;
}

export function createRouterLogging(level: string): RouterLogging {
  const destination = pino.destination({ dest: 1, minLength: BATCH_BYTES, sync: false });
  const logger = pino({ level, base: BASE, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  setInterval(() => {
    // flush() throws if a write is still in progress; the next tick of this timer catches up.
    try {
      destination.flush();
    } catch {
      // a write is underway
    }
  }, FLUSH_INTERVAL_MS).unref();
  process.on('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // nothing more can be done at exit
    }
  });
  return {
    logger,
    accessLines: (bindings = {}) => ({ write: (line: string) => destination.write(line), bindings: { ...BASE, ...bindings } }),
  };
}
