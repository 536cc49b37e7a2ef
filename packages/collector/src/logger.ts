import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, one object per event; `OUTPOST_LOG_LEVEL` sets the level. */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env['OUTPOST_LOG_LEVEL'] ?? 'info' }, pino.destination({ dest: 1, sync: true }));
}
