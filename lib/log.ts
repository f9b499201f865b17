/** Structured JSON logs (one object per line) for operators, through pino. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, component: string): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
