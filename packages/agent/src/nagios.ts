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

/** The plugin output line: `TCP OK - message | perfdata`. */
export function pluginOutput(type: string, observation: Observation, thresholds: MetricThresholds = {}): string {
  const perf = perfdata(observation.metrics, thresholds);
  return `${type.toUpperCase()} ${observation.status} - ${observation.message}${perf ? ` | ${perf}` : ''}`;
}
