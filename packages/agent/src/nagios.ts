import type { MetricThresholds, Observation, StatusName } from './checks/index.js';

/** Nagios plugin exit codes. */
export const EXIT_CODES: Record<StatusName, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

const UNITS: [suffix: string, uom: string][] = [
  ['_ms', 'ms'],
  ['_us', 'us'],
  ['_s', 's'],
  ['_pct', '%'],
  ['_bytes', 'B'],
];

/**
 * One perfdata item per metric, `'label'=value[UOM];[warn];[crit];;` with the unit taken from
 * the name's suffix and the configured ranges as written.
 */
export function perfdata(metrics: Record<string, number>, thresholds: MetricThresholds = {}): string {
  return Object.entries(metrics)
    .map(([name, value]) => {
      const uom = UNITS.find(([suffix]) => name.endsWith(suffix))?.[1] ?? '';
      const label = /^[A-Za-z0-9_.-]+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
      const warn = thresholds.warning?.[name]?.text ?? '';
      const crit = thresholds.critical?.[name]?.text ?? '';
      return `${label}=${Number.isInteger(value) ? value : value.toFixed(6).replace(/0+$/, '')}${uom};${warn};${crit};;`;
    })
    .join(' ');
}

/**
 * Message text as Nagios reads it: the first line of output is the status, and a `|` in it
 * starts the perfdata. Messages quote what peers said (OpenSSL's error text ends in a
 * newline, a regex may hold `|`), so line breaks become spaces and `|` a broken bar.
 */
function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').replaceAll('|', '\u00a6').trim();
}

/**
 * The plugin output line: `TCP OK - message | perfdata`, one line whatever the message holds.
 *
 * @example
 * pluginOutput('tcp', { status: 'OK', observation: 'open', message: '127.0.0.1:22 open in 0.3 ms', metrics: { connect_ms: 0.3 } });
 * // 'TCP OK - 127.0.0.1:22 open in 0.3 ms | connect_ms=0.3ms;;;;'
 */
export function pluginOutput(type: string, observation: Observation, thresholds: MetricThresholds = {}): string {
  const perf = perfdata(observation.metrics, thresholds);
  return `${type.toUpperCase()} ${observation.status} - ${oneLine(observation.message)}${perf ? ` | ${perf}` : ''}`;
}

/**
 * The output of a check that could not run (bad arguments): `TCP UNKNOWN - message`, or
 * `UNKNOWN - message` when not even the type was given; a JSON line with `json`.
 */
export function unknownOutput(type: string | undefined, message: string, json: boolean): string {
  if (json) return JSON.stringify({ status: 'UNKNOWN', observation: 'usage', message });
  return `${type ? `${type.toUpperCase()} ` : ''}UNKNOWN - ${oneLine(message)}`;
}
