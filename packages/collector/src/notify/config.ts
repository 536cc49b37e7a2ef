import { formatDuration, parseDurationMs } from '@outpost/protocol';
import { z } from 'zod';
import type { AlertKind, StatusName } from './types.js';

/** Where webhook notifications go. Durations are resolved to milliseconds. */
export interface WebhookNotifierConfig {
  type: 'webhook';
  url: string;
  headers: Record<string, string>;
  /** When set, each body is signed: `X-Outpost-Signature: sha256=<hex HMAC-SHA256>`. */
  secret: string | undefined;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

/** A program started without a shell; the payload JSON arrives on its stdin. */
export interface CommandNotifierConfig {
  type: 'command';
  argv: string[];
  /** After this, SIGTERM, then SIGKILL 2 s later. */
  timeoutMs: number;
  retries: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export type NotifierConfig = WebhookNotifierConfig | CommandNotifierConfig;

/** Every given field must match; an omitted field matches anything. */
export interface RuleMatch {
  /** Globs with `*` and `?` on the agent name. */
  agents: string[] | undefined;
  /** Globs on the check id; agent-level events (no check) are not filtered by it. */
  checks: string[] | undefined;
  statuses: StatusName[] | undefined;
  /** Omitted: every kind. A `test` is only ever sent by `testRule`; a reminder matches as its problem. */
  kinds: AlertKind[] | undefined;
  /** Exact values of the agent's labels. */
  labels: Record<string, string> | undefined;
}

export interface NotifyRule {
  name: string;
  match: RuleMatch;
  /** Notifier names, each defined in `notifiers`. */
  notify: string[];
  /** Also send X -> OK for checks that matched `statuses` when they went bad. */
  recoveries: boolean;
  /** Re-send while the problem lasts, every this many ms; undefined for never. */
  reminderMs: number | undefined;
  /** Overrides the global `notify_backfilled` when set. */
  notifyBackfilled: boolean | undefined;
}

/** The `notify:` section of the collector config, validated and normalised. */
export interface NotifyConfig {
  /** Send incidents that began and ended while an agent was silent (default: record only). */
  notifyBackfilled: boolean;
  notifiers: Record<string, NotifierConfig>;
  rules: NotifyRule[];
}

const STATUSES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
// `test` is not matchable: it must never reach a receiver through the queue. `reminder` is
// not either: a reminder is matched as the problem it repeats, on rules that set `reminder`.
const MATCHABLE_KINDS = ['check', 'agent_silent', 'agent_back', 'summary', 'flapping_start', 'flapping_stop', 'segmentation_drift', 'unexpected_service'] as const;

/** A duration as people write it ("500ms", "5s", "1h30m", a number of seconds), in ms. */
export function duration(bounds: { minMs: number; maxMs: number }) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "10s" or "5m", got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (ms < bounds.minMs || ms > bounds.maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${formatDuration(bounds.minMs)} and ${formatDuration(bounds.maxMs)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });
}

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

const httpUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL' },
);

// RFC 9110 token for names; no CR/LF in values, so a header cannot smuggle another one.
const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'),
  z.string().regex(/^[^\r\n]*$/, 'expected a header value without line breaks'),
);

const delivery = {
  retries: z.number().int().min(0).max(100).default(8),
  backoff_min: duration({ minMs: 1, maxMs: 86_400_000 }).default(1_000),
  backoff_max: duration({ minMs: 1, maxMs: 86_400_000 }).default(300_000),
};

const webhook = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  headers: headers.optional(),
  secret: z.string().min(1, 'expected a non-empty secret').optional(),
  timeout: duration({ minMs: 10, maxMs: 600_000 }).default(5_000),
  ...delivery,
});

const command = z.strictObject({
  type: z.literal('command'),
  argv: z.array(z.string().min(1)).min(1, 'expected the program and its arguments, e.g. [/usr/local/bin/page, --urgent]'),
  timeout: duration({ minMs: 10, maxMs: 3_600_000 }).default(10_000),
  ...delivery,
});

const notifier = z.discriminatedUnion('type', [webhook, command]);

const rule = z.strictObject({
  name,
  match: z
    .strictObject({
      agents: z.array(z.string().min(1)).min(1).optional(),
      checks: z.array(z.string().min(1)).min(1).optional(),
      statuses: z.array(z.enum(STATUSES)).min(1).optional(),
      kinds: z.array(z.enum(MATCHABLE_KINDS)).min(1).optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .default({}),
  notify: z.array(name).min(1, 'expected at least one notifier name'),
  recoveries: z.boolean().default(true),
  reminder: duration({ minMs: 1_000, maxMs: 30 * 86_400_000 }).optional(),
  notify_backfilled: z.boolean().optional(),
});

/**
 * Schema of the collector config's `notify:` section; parses to a {@link NotifyConfig}.
 * Errors carry the path (`rules.0.notify.1`) and what was expected.
 *
 * @example
 * const config = notifyConfigSchema.parse({
 *   notifiers: { hook: { type: 'webhook', url: 'http://127.0.0.1:9000/hook' } },
 *   rules: [{ name: 'all-critical', match: { statuses: ['CRITICAL'] }, notify: ['hook'] }],
 * });
 */
export const notifyConfigSchema = z
  .strictObject({
    notify_backfilled: z.boolean().default(false),
    notifiers: z.record(name, notifier).default({}),
    rules: z.array(rule).default([]),
  })
  .superRefine((section, ctx) => {
    for (const [key, entry] of Object.entries(section.notifiers)) {
      if (entry.backoff_min > entry.backoff_max) {
        ctx.addIssue({ code: 'custom', path: ['notifiers', key, 'backoff_min'], message: `expected backoff_min (${formatDuration(entry.backoff_min)}) not above backoff_max (${formatDuration(entry.backoff_max)})` });
      }
    }
    const known = Object.keys(section.notifiers);
    const seen = new Set<string>();
    section.rules.forEach((entry, index) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `expected a unique rule name, "${entry.name}" is used more than once` });
      seen.add(entry.name);
      entry.notify.forEach((target, position) => {
        if (!Object.hasOwn(section.notifiers, target)) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', index, 'notify', position],
            message: `rule "${entry.name}" names notifier "${target}", which is not defined in notifiers (defined: ${known.length > 0 ? known.join(', ') : 'none'})`,
          });
        }
      });
    });
  })
  .transform((section): NotifyConfig => ({
    notifyBackfilled: section.notify_backfilled,
    notifiers: Object.fromEntries(Object.entries(section.notifiers).map(([key, entry]) => [key, toNotifier(entry)])),
    rules: section.rules.map((entry) => ({
      name: entry.name,
      match: {
        agents: entry.match.agents,
        checks: entry.match.checks,
        statuses: entry.match.statuses,
        kinds: entry.match.kinds,
        labels: entry.match.labels,
      },
      notify: [...new Set(entry.notify)],
      recoveries: entry.recoveries,
      reminderMs: entry.reminder,
      notifyBackfilled: entry.notify_backfilled,
    })),
  }));

/** The section as written in YAML (snake_case, durations as text). */
export type NotifyConfigInput = z.input<typeof notifyConfigSchema>;

function toNotifier(entry: z.output<typeof notifier>): NotifierConfig {
  const common = { timeoutMs: entry.timeout, retries: entry.retries, backoffMinMs: entry.backoff_min, backoffMaxMs: entry.backoff_max };
  return entry.type === 'webhook'
    ? { type: 'webhook', url: entry.url, headers: entry.headers ?? {}, secret: entry.secret, ...common }
    : { type: 'command', argv: entry.argv, ...common };
}
