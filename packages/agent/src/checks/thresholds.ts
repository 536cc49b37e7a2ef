import * as z from 'zod';
import type { CheckType, Observation, StatusName } from './check.js';

/**
 * A Nagios plugin threshold range (`10`, `5:`, `~:10`, `10:20`, `@10:20`). A value alerts
 * when it lies outside start..end, or inside it when the range starts with `@`.
 */
export interface NagiosRange {
  /** The range as written, for messages. */
  text: string;
  start: number;
  end: number;
  alertInside: boolean;
}

const NUMBER = '[-+]?\\d+(?:\\.\\d+)?';
const RANGE = new RegExp(`^(@)?(?:(~|${NUMBER})?(:))?(${NUMBER})?$`);

/**
 * Parse Nagios threshold range syntax (Nagios plugin guidelines, "Threshold and ranges"):
 * `10` is 0..10, `10:` is 10..∞, `~:10` is -∞..10, `10:20` is 10..20, a leading `@` alerts
 * inside the range instead of outside. Returns undefined when the text is not a range.
 *
 * @example
 * const range = parseNagiosRange('@10:20')!;
 * nagiosRangeAlerts(range, 15); // true
 */
export function parseNagiosRange(spec: string | number): NagiosRange | undefined {
  const text = String(spec).trim();
  const match = RANGE.exec(text);
  if (!match) return undefined;
  const [, at, startText, colon, endText] = match;
  // "", "@", ":" and "@:" say nothing.
  if (endText === undefined && (colon === undefined || startText === undefined)) return undefined;
  const start = colon === undefined || startText === undefined ? 0 : startText === '~' ? -Infinity : Number(startText);
  const end = endText === undefined ? Infinity : Number(endText);
  if (start > end) return undefined;
  return { text, start, end, alertInside: at === '@' };
}

/** True when `value` breaks the range (see {@link parseNagiosRange}). */
export function nagiosRangeAlerts(range: NagiosRange, value: number): boolean {
  const inside = value >= range.start && value <= range.end;
  return range.alertInside ? inside : !inside;
}

/** A zod field for a Nagios range in config files. */
export const nagiosRange = z.union([z.string(), z.number()]).transform((spec, ctx) => {
  const parsed = parseNagiosRange(spec);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a Nagios range such as "10", "5:", "~:10" or "@10:20", got ${JSON.stringify(spec)}` });
    return z.NEVER;
  }
  return parsed;
});

/**
 * `warning` / `critical` in a check's config: metric name → Nagios range. Which names a
 * check accepts depends on its type and config: see {@link thresholdMetricProblem}.
 */
export const metricThresholds = z.record(z.string(), nagiosRange).superRefine((ranges, ctx) => {
  // Checked here rather than by the record's key schema, whose failure zod reports only as
  // "Invalid key in record".
  for (const name of Object.keys(ranges)) {
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(name)) continue;
    ctx.addIssue({ code: 'custom', path: [name], message: `expected a metric name of 1-64 letters, digits, "_", "." or "-", got ${JSON.stringify(name)}` });
  }
});

export interface MetricThresholds {
  warning?: Record<string, NagiosRange>;
  critical?: Record<string, NagiosRange>;
}

/** A `warning`/`critical` entry on a metric the check never emits, with what it does emit. */
export interface ThresholdMetricProblem {
  level: 'warning' | 'critical';
  metric: string;
  /** `tcp checks emit connect_ms; got "conect_ms"`. */
  message: string;
}

/**
 * The first threshold that names a metric `type` never emits for `config`, if any. Such a
 * threshold (a typo, a name from another check type) would never fire, and an alert that
 * cannot fire looks exactly like a healthy check, so the config file and the `check`
 * command both refuse it through this one function.
 *
 * @example
 * const problem = thresholdMetricProblem(tcpCheck, config, { critical: { conect_ms: range } });
 * // { level: 'critical', metric: 'conect_ms', message: 'tcp checks emit connect_ms; got "conect_ms"' }
 */
export function thresholdMetricProblem<Config>(
  type: CheckType<Config>,
  config: Config,
  thresholds: { warning?: Record<string, unknown> | undefined; critical?: Record<string, unknown> | undefined },
): ThresholdMetricProblem | undefined {
  if (thresholds.warning === undefined && thresholds.critical === undefined) return undefined;
  const emitted = type.metrics(config);
  for (const level of ['warning', 'critical'] as const) {
    const metric = Object.keys(thresholds[level] ?? {}).find((name) => !emitted.includes(name));
    if (metric === undefined) continue;
    // Numeric order, so step2_ms comes before step10_ms.
    const names = [...new Set(emitted)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(', ');
    return { level, metric, message: `${type.type} checks emit ${names}; got ${JSON.stringify(metric)}` };
  }
  return undefined;
}

const RANK: Record<StatusName, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/**
 * Raise an observation's status when one of its metrics breaks a configured range. Only
 * ever raises (OK → WARNING → CRITICAL), never lowers what the check itself decided; a
 * metric the run did not produce is not judged.
 *
 * @example
 * applyThresholds(obs, { critical: { connect_ms: parseNagiosRange('100')! } });
 */
export function applyThresholds(observation: Observation, thresholds: MetricThresholds): Observation {
  const broken: string[] = [];
  let status = observation.status;
  for (const level of ['critical', 'warning'] as const) {
    for (const [metric, range] of Object.entries(thresholds[level] ?? {})) {
      const value = observation.metrics[metric];
      if (value === undefined || !nagiosRangeAlerts(range, value)) continue;
      broken.push(`${metric}=${value} breaks ${level} "${range.text}"`);
      const raised: StatusName = level === 'critical' ? 'CRITICAL' : 'WARNING';
      if (RANK[raised] > RANK[status]) status = raised;
    }
  }
  if (broken.length === 0) return observation;
  return {
    ...observation,
    status,
    observation: observation.status === 'OK' ? 'threshold' : observation.observation,
    message: `${observation.message}; ${broken.join(', ')}`,
  };
}
