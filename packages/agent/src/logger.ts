import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines for machines (a pipe, a file, journald), the readable form for a person at a
 * terminal; `OUTPOST_LOG_FORMAT=json|pretty` overrides either way.
 */
export function chooseLogFormat({ isTTY, env }: { isTTY: boolean; env: Record<string, string | undefined> }): LogFormat {
  const forced = env['OUTPOST_LOG_FORMAT']?.trim().toLowerCase();
  if (forced === 'json' || forced === 'pretty') return forced;
  return isTTY ? 'pretty' : 'json';
}

/**
 * One event per line on stdout, JSON or readable as chooseLogFormat decides;
 * `OUTPOST_LOG_LEVEL` sets the level. Writes are synchronous in both forms, so the last
 * lines before a `process.exit` are not lost.
 *
 * @example
 * const log = createLogger('outpost-agent');
 * log.info({ depth: 12 }, 'agent started');
 */
export function createLogger(name: string): Logger {
  const isTTY = process.stdout.isTTY === true;
  const format = chooseLogFormat({ isTTY, env: process.env });
  // pino-pretty (CommonJS) is loaded only for a person at a terminal: a service logging JSON
  // does not keep its modules resident.
  const stream: DestinationStream =
    format === 'pretty'
      ? (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty)({ sync: true, colorize: isTTY, destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ dest: 1, sync: true });
  return pino({ name, level: process.env['OUTPOST_LOG_LEVEL'] ?? 'info' }, stream);
}
