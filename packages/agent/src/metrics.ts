import { statusName, type Status } from '@outpost/protocol';
import type { OutboxDepth } from './outbox.js';

/** Label values of one series, in the order of the family's label names. */
export type LabelValues = Record<string, string>;

export interface FamilyOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /**
   * Distinct label sets kept at most; past this, new ones are added up under every label
   * set to "other", so an agent with 50,000 check ids cannot flood its scraper.
   */
  maxSeries?: number;
}

export interface HistogramOptions extends FamilyOptions {
  /** Upper bounds, ascending; `+Inf` is added. */
  buckets: readonly number[];
}

const DEFAULT_MAX_SERIES = 2_000;

/** Label values are quoted: backslash, double quote and newline are escaped (text format 0.0.4). */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP text escapes only backslash and newline. */
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) pairs.push(extra);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

/**
 * Series by label values, capped: the shared part of counters and histograms. Keyed by the
 * one label value itself, or by the JSON of several: an agent with 1000 checks keeps 1000
 * series of results by check id, so each is one map entry and nothing more.
 */
class SeriesMap<T> {
  readonly names: readonly string[];
  readonly #max: number;
  readonly #series = new Map<string, T>();
  readonly #create: () => T;

  constructor(options: FamilyOptions, create: () => T) {
    this.names = options.labelNames ?? [];
    this.#max = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.#create = create;
  }

  get(labels: LabelValues): T {
    let key = this.#key((name) => labels[name] ?? '');
    let data = this.#series.get(key);
    if (data !== undefined) return data;
    if (this.#series.size >= this.#max) {
      key = this.#key(() => 'other');
      data = this.#series.get(key);
      if (data !== undefined) return data;
    }
    data = this.#create();
    this.#series.set(key, data);
    return data;
  }

  get size(): number {
    return this.#series.size;
  }

  *entries(): Generator<[string[], T]> {
    for (const [key, data] of this.#series) yield [this.names.length === 1 ? [key] : (JSON.parse(key) as string[]), data];
  }

  #key(value: (name: string) => string): string {
    return this.names.length === 1 ? value(this.names[0]!) : JSON.stringify(this.names.map(value));
  }
}

/** A monotonically increasing count, by label set. */
export class Counter {
  readonly #options: FamilyOptions;
  readonly #series: SeriesMap<{ value: number }>;

  constructor(options: FamilyOptions) {
    this.#options = options;
    this.#series = new SeriesMap(options, () => ({ value: 0 }));
    // A counter without labels shows 0 from the first scrape, so rate() has a starting point.
    if (this.#series.names.length === 0) this.#series.get({});
  }

  inc(labels: LabelValues = {}, by = 1): void {
    this.#series.get(labels).value += by;
  }

  /** Distinct series held, the overflow series included. */
  get seriesCount(): number {
    return this.#series.size;
  }

  render(lines: string[]): void {
    const { name, help } = this.#options;
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} counter`);
    for (const [values, { value }] of this.#series.entries()) lines.push(`${name}${labelText(this.#series.names, values)} ${formatValue(value)}`);
  }
}

/** Observations in cumulative buckets, with their sum and count, by label set. */
export class Histogram {
  readonly #options: HistogramOptions;
  readonly #series: SeriesMap<{ buckets: number[]; sum: number; count: number }>;

  constructor(options: HistogramOptions) {
    this.#options = options;
    this.#series = new SeriesMap(options, () => ({ buckets: options.buckets.map(() => 0), sum: 0, count: 0 }));
  }

  observe(labels: LabelValues, value: number): void {
    const series = this.#series.get(labels);
    const index = this.#options.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) series.buckets[index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  render(lines: string[]): void {
    const { name, help, buckets } = this.#options;
    const names = this.#series.names;
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`);
    for (const [values, series] of this.#series.entries()) {
      let cumulative = 0;
      buckets.forEach((bound, i) => {
        cumulative += series.buckets[i]!;
        lines.push(`${name}_bucket${labelText(names, values, `le="${formatValue(bound)}"`)} ${cumulative}`);
      });
      // The +Inf bucket is the count by definition: observations past the last bound land only here.
      lines.push(`${name}_bucket${labelText(names, values, 'le="+Inf"')} ${series.count}`);
      lines.push(`${name}_sum${labelText(names, values)} ${formatValue(series.sum)}`);
      lines.push(`${name}_count${labelText(names, values)} ${series.count}`);
    }
  }
}

/** A value read at scrape time from state kept elsewhere (the outbox, the uplink, the process). */
export class Sampled {
  readonly #options: { name: string; help: string; type: 'gauge' | 'counter'; read: () => number };

  constructor(options: { name: string; help: string; type: 'gauge' | 'counter'; read: () => number }) {
    this.#options = options;
  }

  render(lines: string[]): void {
    const { name, help, type, read } = this.#options;
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, `${name} ${formatValue(read())}`);
  }
}

/** Families rendered in the order they were added. */
export class MetricsRegistry {
  readonly #families: { render(lines: string[]): void }[] = [];

  add<T extends { render(lines: string[]): void }>(family: T): T {
    this.#families.push(family);
    return family;
  }

  /** The Prometheus text exposition format, version 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families) family.render(lines);
    return `${lines.join('\n')}\n`;
  }
}

/** Seconds: from a quick loopback connect to a long scan. */
export const CHECK_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface AgentMetricsSources {
  outbox: () => Pick<OutboxDepth, 'count' | 'bytes' | 'oldestStartedAtMs' | 'dropped'>;
  connected: () => boolean;
  now?: () => number;
  /** Distinct check ids counted by name; default 2000. */
  maxCheckSeries?: number;
}

/**
 * The agent's Prometheus metrics. Counters are bumped by the agent and its uplink as work
 * happens; outbox figures and the connection state are read from their owners when scraped.
 *
 * @example
 * const metrics = new AgentMetrics({ outbox: () => outbox.depth(), connected: () => uplink.state === 'connected' });
 * metrics.checkRun('tcp', Status.OK, 0.004);
 * res.end(metrics.render());
 */
export class AgentMetrics {
  readonly #registry = new MetricsRegistry();
  readonly #produced: Counter;
  readonly #runs: Counter;
  readonly #duration: Histogram;
  readonly #batchesSent: Counter;
  readonly #uploaded: Counter;
  readonly #uploadBytes: Counter;
  readonly #batchesAcked: Counter;
  readonly #acked: Counter;
  readonly #duplicates: Counter;
  readonly #reconnects: Counter;

  constructor(sources: AgentMetricsSources) {
    const r = this.#registry;
    const now = sources.now ?? Date.now;
    const sampled = (name: string, type: 'gauge' | 'counter', help: string, read: () => number) => r.add(new Sampled({ name, type, help, read }));
    sampled('outpost_agent_outbox_depth', 'gauge', 'Results waiting in the outbox (sent but not yet acknowledged included).', () => sources.outbox().count);
    sampled('outpost_agent_outbox_bytes', 'gauge', 'Bytes of encoded results waiting in the outbox.', () => sources.outbox().bytes);
    sampled('outpost_agent_outbox_oldest_unsent_age_seconds', 'gauge', 'Age of the oldest result waiting in the outbox; 0 when it is empty.', () => {
      const oldest = sources.outbox().oldestStartedAtMs;
      return oldest === undefined ? 0 : Math.max(0, now() - oldest) / 1000;
    });
    sampled('outpost_agent_dropped_results_total', 'counter', 'Results dropped under the outbox budget or lost to a failed write, each reported to the collector as a gap.', () => sources.outbox().dropped);
    this.#produced = r.add(new Counter({ name: 'outpost_agent_results_produced_total', help: 'Results written to the outbox, by check id ("other" past the series cap).', labelNames: ['check'], maxSeries: sources.maxCheckSeries ?? DEFAULT_MAX_SERIES }));
    this.#runs = r.add(new Counter({ name: 'outpost_agent_check_runs_total', help: 'Finished check runs, by check type and result status.', labelNames: ['type', 'status'] }));
    this.#duration = r.add(new Histogram({ name: 'outpost_agent_check_duration_seconds', help: 'How long check runs took, by check type.', labelNames: ['type'], buckets: CHECK_DURATION_BUCKETS }));
    this.#batchesSent = r.add(new Counter({ name: 'outpost_agent_batches_sent_total', help: 'Signed batches sent to a collector (a resent batch counts again).' }));
    this.#uploaded = r.add(new Counter({ name: 'outpost_agent_results_uploaded_total', help: 'Results sent in batches (a resent result counts again).' }));
    this.#uploadBytes = r.add(new Counter({ name: 'outpost_agent_upload_bytes_total', help: 'Bytes of batch frames sent, before TLS.' }));
    this.#batchesAcked = r.add(new Counter({ name: 'outpost_agent_batches_acked_total', help: 'Batches the collector acknowledged.' }));
    this.#acked = r.add(new Counter({ name: 'outpost_agent_results_acked_total', help: 'Results the collector acknowledged; they left the outbox.' }));
    this.#duplicates = r.add(new Counter({ name: 'outpost_agent_duplicates_total', help: 'Results the collector reported as duplicates (already stored) in its acks.' }));
    sampled('outpost_agent_connected', 'gauge', '1 while a session with a collector is established, else 0.', () => (sources.connected() ? 1 : 0));
    this.#reconnects = r.add(new Counter({ name: 'outpost_agent_reconnects_total', help: 'Connection attempts after the first (each redial after a session ended or failed).' }));
    sampled('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
    sampled('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    });
  }

  /** Results about to be written to the outbox (counted even if the write fails: those become a gap). */
  resultsProduced(results: readonly { checkId: string }[]): void {
    for (const result of results) this.#produced.inc({ check: result.checkId });
  }

  checkRun(type: string, status: Status, durationSeconds: number): void {
    this.#runs.inc({ type, status: statusName(status) });
    this.#duration.observe({ type }, durationSeconds);
  }

  batchSent(results: number, bytes: number): void {
    this.#batchesSent.inc();
    this.#uploaded.inc({}, results);
    this.#uploadBytes.inc({}, bytes);
  }

  batchAcked(results: number, duplicates: number): void {
    this.#batchesAcked.inc();
    this.#acked.inc({}, results);
    this.#duplicates.inc({}, duplicates);
  }

  reconnecting(): void {
    this.#reconnects.inc();
  }

  render(): string {
    return this.#registry.render();
  }
}
