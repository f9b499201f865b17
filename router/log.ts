/**
 * The router process's logger: the same JSON lines as lib/log.ts (pino, `component: "router"`,
 * ISO time), but written in batches of up to 64 KB rather than one write(2) per line. An access
 * log line per request would otherwise cost a system call per request, a good part of the
 * router's CPU. Lines wait at most FLUSH_INTERVAL_MS; everything is flushed when the process exits.
 *
 * Access lines skip the logger and join the same batch directly (router/access-log.ts).
 */
import pino from 'pino';
import type { Logger } from '../lib/log';
import type { AccessLineSink } from './access-log';

/**
 * Characters gathered before a write. Each write is a trip through libuv's thread pool; at 8 KB
 * (about 20 access lines) those trips cost the router ~7 µs of CPU per request, at 64 KB next to
 * nothing (measured with wrk beside nginx, docs/benchmarks.md).
 */
const BATCH_BYTES = 64 * 1024;
/** Longest a line waits before it is written. */
const FLUSH_INTERVAL_MS = 100;
const BASE = { component: 'router' } as const;

export interface RouterLogging {
  readonly logger: Logger;
  /** Access lines for a logger with these extra bindings (e.g. a cluster worker's `{ worker }`). */
  accessLines(bindings?: Readonly<Record<string, unknown>>): AccessLineSink;
}

export function createRouterLogging(level: string): RouterLogging {
  const destination = pino.destination({ dest: 1, sync: false });
  // Lines gather in one string and reach the destination a batch at a time: one write call (and
  // one byte count) per batch instead of per line. Logger and access lines share the batch, so
  // they stay in order.
  let batch = '';
  const flushBatch = (): void => {
    if (batch === '') return;
    destination.write(batch);
    batch = '';
  };
  const write = (line: string): void => {
    batch += line;
    if (batch.length >= BATCH_BYTES) flushBatch();
  };
  const logger = pino({ level, base: BASE, timestamp: pino.stdTimeFunctions.isoTime }, { write });
  setInterval(flushBatch, FLUSH_INTERVAL_MS).unref();
  process.on('exit', () => {
    try {
      flushBatch();
      destination.flushSync();
    } catch {
      // nothing more can be done at exit
    }
  });
  return {
    logger,
    accessLines: (bindings = {}) => ({ write, bindings: { ...BASE, ...bindings } }),
  };
}
