import pino from 'pino';

/** Structured JSON logs on stderr, so a command's stdout stays its result. */
export function createLogger(level: string) {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
