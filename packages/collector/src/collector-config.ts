import { readFileSync } from 'node:fs';
import { ConfigError, yamlErrorText } from '@outpost/protocol';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { duration, notifyConfigSchema, type NotifyConfig } from './notify/config.js';
import { globMatches } from './notify/rules.js';
import { segmentationSchema, type SegmentationPolicy } from './segmentation-policy.js';
import type { StateEngineSettings } from './store.js';

/** What of `state` the store applies while it stores (flapping): `run` and `import` alike. */
export function stateEngineSettings(config: CollectorConfig): StateEngineSettings {
  const { flapChanges, flapWindowMs } = config.state;
  return { flapChanges, flapWindowMs };
}

/** The collector's behaviour beyond its command-line options, from `run --config FILE`. */
export interface CollectorConfig {
  api: {
    /** 'open': anyone who reaches the listener may read; 'token': reads need the operator token too. */
    read: 'open' | 'token';
  };
  state: {
    /** Fixed grace period; undefined derives it per agent from its heartbeat interval. */
    graceMs: number | undefined;
    flapChanges: number;
    flapWindowMs: number;
    /** The "back after an outage" summary waits at most this long for the backlog to drain. */
    summaryAfterMs: number;
  };
  /** Labels per agent name glob; every matching entry adds its labels, later ones win. */
  agents: { match: string; labels: Record<string, string> }[];
  notify: NotifyConfig;
  /** How long stored rows are kept, by their own time (a result's check time, an event's time). */
  retention: RetentionPolicy;
  /** The segmentation policy (docs/segmentation.md); undefined when the file has none. */
  segmentation: SegmentationPolicy | undefined;
}

/** Results and events older than these are deleted daily (and at start). */
export interface RetentionPolicy {
  resultsMs: number;
  eventsMs: number;
}

const DAY_MS = 86_400_000;
/** Defaults: 90 days of raw results, a year of state changes and agent events. */
export const DEFAULT_RETENTION: RetentionPolicy = { resultsMs: 90 * DAY_MS, eventsMs: 365 * DAY_MS };

const label = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a label name of letters, digits and "_"');

const schema = z.strictObject({
  api: z.strictObject({ read: z.enum(['open', 'token']).default('open') }).default({ read: 'open' }),
  state: z
    .strictObject({
      grace: duration({ minMs: 1_000, maxMs: 86_400_000 }).optional(),
      flap_changes: z.number().int().min(2).max(1_000).default(5),
      flap_window: duration({ minMs: 1_000, maxMs: 86_400_000 }).default(600_000),
      summary_after: duration({ minMs: 1_000, maxMs: 86_400_000 }).default(600_000),
    })
    .default({ flap_changes: 5, flap_window: 600_000, summary_after: 600_000 }),
  agents: z.array(z.strictObject({ match: z.string().min(1), labels: z.record(label, z.string()) })).default([]),
  notify: notifyConfigSchema.prefault({}),
  retention: z
    .strictObject({
      results: duration({ minMs: 3_600_000, maxMs: 100 * 365 * DAY_MS }).default(DEFAULT_RETENTION.resultsMs),
      events: duration({ minMs: 3_600_000, maxMs: 100 * 365 * DAY_MS }).default(DEFAULT_RETENTION.eventsMs),
    })
    .default({ results: DEFAULT_RETENTION.resultsMs, events: DEFAULT_RETENTION.eventsMs }),
  segmentation: segmentationSchema.optional(),
});

/** Parse and validate collector config YAML; errors name the file, the key and what was expected. */
export function parseCollectorConfig(text: string, file: string): CollectorConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, [], yamlErrorText(doc.errors[0]!));
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) message = `expected ${issue.expected}`;
    throw new ConfigError(file, issue.path, message);
  }
  const c = parsed.data;
  return {
    api: { read: c.api.read },
    state: { graceMs: c.state.grace, flapChanges: c.state.flap_changes, flapWindowMs: c.state.flap_window, summaryAfterMs: c.state.summary_after },
    agents: c.agents,
    notify: c.notify,
    retention: { resultsMs: c.retention.results, eventsMs: c.retention.events },
    segmentation: c.segmentation,
  };
}

/** Read and validate a config file; a missing file is a ConfigError too. */
export function loadCollectorConfig(file: string): CollectorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new ConfigError(file, [], `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCollectorConfig(text, file);
}

/** The defaults, as an empty config file gives them. */
export function defaultCollectorConfig(): CollectorConfig {
  return parseCollectorConfig('{}', '(defaults)');
}

/** An agent's labels from the `agents:` entries whose glob matches its name. */
export function labelsFor(config: CollectorConfig, agent: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of config.agents) if (globMatches(entry.match, agent)) Object.assign(labels, entry.labels);
  return labels;
}
