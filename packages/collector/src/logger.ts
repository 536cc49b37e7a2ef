import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

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
 * One event per line on stdout (or `fd` 2 for one-shot commands whose stdout is their answer), JSON or readable as chooseLogFormat decides;
 * `OUTPOST_LOG_LEVEL` sets the level. Writes are synchronous in both forms, so the last
 * lines before a `process.exit` are not lost.
 *
 * @example
 * const log = createLogger('outpost-collector');
 * log.info({ port: 41121 }, 'collector listening');
 */
export function createLogger(name: string, fd: 1 | 2 = 1): Logger {
  const isTTY = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const format = chooseLogFormat({ isTTY, env: process.env });
  const stream: DestinationStream =
    format === 'pretty'
      ? pinoPretty({ sync: true, colorize: isTTY, destination: fd, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ dest: fd, sync: true });
  return pino({ name, level: process.env['OUTPOST_LOG_LEVEL'] ?? 'info' }, stream);
}
