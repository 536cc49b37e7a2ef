import type { MetricThresholds } from './thresholds.js';
import type * as z from 'zod';

export type StatusName = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/**
 * What one run of a check saw. A failed probe is data, not an exception: refused,
 * filtered, mismatched and timed-out probes all come back as observations.
 */
export interface Observation {
  status: StatusName;
  /** Short machine word: open | closed | filtered | timeout | mismatch | error | ... */
  observation: string;
  /** One line for a person, with the target and what was seen. */
  message: string;
  /** Numbers worth graphing, with the unit in the name (`connect_ms`, `loss_pct`). */
  metrics: Record<string, number>;
  /** What was sent and received, for failed conversations; bounded by the check. */
  transcript?: Uint8Array;
}

/** Per-check memory kept between runs by the agent (e.g. an exposure scan's last baseline). */
export interface CheckMemory {
  get(): unknown;
  set(value: unknown): void;
}

export interface CheckContext {
  /** Aborted when the check's timeout passes or the agent stops. Runners must honour it. */
  signal: AbortSignal;
  /** The timeout the scheduler enforces, for checks that pass it on to a child process. */
  timeoutMs: number;
  /** What this check stored on its previous run, if anything. */
  memory?: CheckMemory;
}

/**
 * One check type: a config schema for its own keys and a runner. Common keys (id, type,
 * interval, timeout, jitter) are handled by the agent's config and scheduler.
 *
 * @example
 * export const tcpCheck: CheckType<TcpConfig> = { type: 'tcp', schema, describe, metrics, run };
 */
export interface CheckType<Config> {
  readonly type: string;
  /** Validates the check's entry in the config file (the common keys are removed first). */
  readonly schema: z.ZodType<Config>;
  /** Short target text for ids and messages, e.g. `127.0.0.1:22`. */
  describe(config: Config): string;
  /**
   * Every metric name `run` can put in `Observation.metrics` for this config, including
   * those only some runs carry (a TLS time, a count after a retry). `warning`/`critical`
   * may name only these: a threshold on any other name would never fire. A function of the
   * config because some names come from it (snmp's OID labels, a conversation's steps).
   */
  metrics(config: Config): readonly string[];
  /**
   * The ranges the check applies itself from its own settings (a certificate's warning
   * days, an RTT limit, an OID's range), so perfdata can carry them for graphers as a
   * plugin's own thresholds. Omitted when the check judges no metric by a number.
   */
  perfRanges?(config: Config): MetricThresholds;
  /** Run once. Resolves with an observation for every network outcome; throws only on bugs. */
  run(config: Config, context: CheckContext): Promise<Observation>;
}
