import * as z from 'zod';
import { durationMs } from '../duration.js';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { sweepIcmp, type IcmpHostResult } from './icmp-fping.js';
import { parseNagiosRange, type MetricThresholds } from './thresholds.js';

export { findFping, parseFpingSummary, sweepIcmp } from './icmp-fping.js';
export type { IcmpHostResult, IcmpSweep, IcmpSweepOptions } from './icmp-fping.js';

/** Most hosts one icmp check may list; larger sweeps belong to `discovery`. */
export const MAX_ICMP_HOSTS = 1024;
/** Most hosts named in one message before it says "+N more". */
const MAX_NAMED_HOSTS = 5;

// Names and IPv4/IPv6 literals (with an optional %zone); a leading dash is refused so a
// host can never read as an fping option.
const hostText = z.string().refine((text) => /^[A-Za-z0-9._:%]/.test(text) && /^[A-Za-z0-9._:%-]{1,253}$/.test(text), {
  error: (issue) => `expected a host name or IP address, got ${JSON.stringify(issue.input)}`,
});

const positive = (what: string) => z.number({ error: `expected ${what} as a number` }).positive({ error: `expected ${what} above 0` });
const percent = z.number({ error: 'expected a percentage 0-100' }).min(0).max(100);

export const icmpSchema = z
  .object({
    host: hostText.optional(),
    hosts: z.array(hostText).min(1, { error: 'expected at least one host' }).max(MAX_ICMP_HOSTS, { error: `expected at most ${MAX_ICMP_HOSTS} hosts` }).optional(),
    /** Pings per host. */
    count: z.number().int().min(1).max(100).default(3),
    // `interval` and `timeout` are the scheduler's keys, hence the `ping_` prefix.
    ping_interval: durationMs({ minMs: 10, maxMs: 60_000 }).default(200),
    // Between packets to different hosts; fping's default. 0 is fping -i0.
    host_interval: durationMs({ minMs: 0, maxMs: 1_000 }).default(10),
    ping_timeout: durationMs({ minMs: 1, maxMs: 60_000 }).default(500),
    rtt_warning_ms: positive('rtt_warning_ms').optional(),
    rtt_critical_ms: positive('rtt_critical_ms').optional(),
    loss_warning_pct: percent.optional(),
    loss_critical_pct: percent.default(100),
  })
  .strict()
  .transform((config, ctx) => {
    if ((config.host === undefined) === (config.hosts === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['hosts'], message: `expected exactly one of "host" or "hosts", got ${config.host === undefined ? 'neither' : 'both'}` });
      return z.NEVER;
    }
    for (const [warning, critical] of [['rtt_warning_ms', 'rtt_critical_ms'], ['loss_warning_pct', 'loss_critical_pct']] as const) {
      const low = config[warning];
      const high = config[critical];
      if (low !== undefined && high !== undefined && low > high) {
        ctx.addIssue({ code: 'custom', path: [warning], message: `expected ${warning} (${low}) at or below ${critical} (${high})` });
        return z.NEVER;
      }
    }
    const { host, hosts, ...rest } = config;
    return { ...rest, hosts: [...new Set(hosts ?? [host!])] };
  });

export type IcmpConfig = z.output<typeof icmpSchema>;

type Verdict = 'up' | 'slow' | 'loss' | 'down' | 'not_found';
interface HostVerdict {
  result: IcmpHostResult;
  status: StatusName;
  verdict: Verdict;
}

const RANK: Record<StatusName, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/**
 * Loss reaches a limit at or above it (`loss_critical_pct: 100` means "no reply at all");
 * the average RTT breaks a limit only when strictly above it.
 */
function judge(result: IcmpHostResult, config: IcmpConfig): HostVerdict {
  const verdict = (status: StatusName, name: Verdict): HostVerdict => ({ result, status, verdict: name });
  if (!result.resolved) return verdict('UNKNOWN', 'not_found');
  const lossVerdict: Verdict = result.received === 0 ? 'down' : 'loss';
  const avg = result.avgMs;
  if (result.lossPct >= config.loss_critical_pct) return verdict('CRITICAL', lossVerdict);
  if (avg !== undefined && config.rtt_critical_ms !== undefined && avg > config.rtt_critical_ms) return verdict('CRITICAL', 'slow');
  if (config.loss_warning_pct !== undefined && result.lossPct >= config.loss_warning_pct) return verdict('WARNING', lossVerdict);
  if (avg !== undefined && config.rtt_warning_ms !== undefined && avg > config.rtt_warning_ms) return verdict('WARNING', 'slow');
  return verdict('OK', result.received === 0 ? 'down' : 'up');
}

const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3));

function detail({ result, verdict, status }: HostVerdict, config: IcmpConfig): string {
  const replies = `${result.received}/${result.sent} replies`;
  const rtt = `rtt min/avg/max ${ms(result.minMs)}/${ms(result.avgMs)}/${ms(result.maxMs)} ms`;
  switch (verdict) {
    case 'not_found':
      return `${result.host} not found (name does not resolve)`;
    case 'down':
      return `${result.host} down: ${replies} (100% loss)`;
    case 'loss':
      return `${result.host} losing packets: ${replies} (${result.lossPct}% loss), ${rtt}`;
    case 'slow': {
      const limit = status === 'CRITICAL' ? `critical ${config.rtt_critical_ms}` : `warning ${config.rtt_warning_ms}`;
      return `${result.host} slow: avg rtt ${ms(result.avgMs)} ms above ${limit} ms, ${replies}`;
    }
    case 'up':
      return `${result.host} up: ${replies}, ${rtt}`;
  }
}

function named(verdicts: HostVerdict[], label: string): string | undefined {
  if (verdicts.length === 0) return undefined;
  const names = verdicts.slice(0, MAX_NAMED_HOSTS).map((v) => v.result.host).join(', ');
  const more = verdicts.length > MAX_NAMED_HOSTS ? ` +${verdicts.length - MAX_NAMED_HOSTS} more` : '';
  return `${label}: ${names}${more}`;
}

function metricsFor(verdicts: HostVerdict[]): Record<string, number> {
  const resolved = verdicts.map((v) => v.result).filter((r) => r.resolved);
  const worst = (pick: (r: IcmpHostResult) => number | undefined) => {
    const values = resolved.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.max(...values);
  };
  const metrics: Record<string, number> = {};
  const put = (name: string, value: number | undefined) => {
    if (value !== undefined) metrics[name] = value;
  };
  if (verdicts.length === 1) {
    const only = verdicts[0]!.result;
    if (!only.resolved) return metrics;
    put('rtt_min_ms', only.minMs);
    put('rtt_avg_ms', only.avgMs);
    put('rtt_max_ms', only.maxMs);
    put('loss_pct', only.lossPct);
    return metrics;
  }
  const up = verdicts.filter((v) => v.result.received > 0).length;
  metrics.hosts_up = up;
  metrics.hosts_down = verdicts.length - up;
  put('rtt_avg_ms', worst((r) => r.avgMs));
  put('rtt_max_ms', worst((r) => r.maxMs));
  put('loss_pct', worst((r) => r.lossPct));
  return metrics;
}

function summarize(verdicts: HostVerdict[], config: IcmpConfig): Observation {
  const worst = verdicts.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
  const metrics = metricsFor(verdicts);
  if (verdicts.length === 1) {
    return { status: worst.status, observation: worst.verdict, message: detail(worst, config), metrics };
  }
  const by = (verdict: Verdict) => verdicts.filter((v) => v.verdict === verdict && v.status !== 'OK');
  const parts = [
    `${metrics.hosts_up} of ${verdicts.length} hosts up`,
    named(by('down'), 'down'),
    named(by('not_found'), 'not found'),
    named(by('loss'), 'losing packets'),
    named(by('slow'), 'slow'),
  ].filter((part) => part !== undefined);
  const worstNumbers = `worst loss ${metrics.loss_pct ?? 100}%, worst avg rtt ${ms(metrics.rtt_avg_ms)} ms`;
  // The worst slow or lossy host gets its numbers; down and unresolved need none.
  const focus = worst.verdict === 'slow' || worst.verdict === 'loss' ? `; ${detail(worst, config)}` : '';
  return {
    status: worst.status,
    observation: worst.status === 'OK' ? 'up' : worst.verdict,
    message: `${parts.join('; ')}; ${worstNumbers}${focus}`,
    metrics,
  };
}

async function run(config: IcmpConfig, context: CheckContext): Promise<Observation> {
  const sweep = await sweepIcmp(config.hosts, {
    count: config.count,
    intervalMs: config.ping_interval,
    hostIntervalMs: config.host_interval,
    pingTimeoutMs: config.ping_timeout,
    signal: context.signal,
  });
  switch (sweep.outcome) {
    case 'done':
      return summarize(sweep.hosts.map((result) => judge(result, config)), config);
    case 'aborted': {
      // fping bounds itself, so running out of time says the check's timeout is too tight,
      // not that the hosts are down.
      const needMs = (config.count - 1) * config.ping_interval + config.ping_timeout;
      return {
        status: 'UNKNOWN',
        observation: 'timeout',
        message: `fping did not finish within ${context.timeoutMs} ms for ${describe(config)} (needs about ${needMs} ms: count ${config.count}, ping_interval ${config.ping_interval} ms, ping_timeout ${config.ping_timeout} ms)`,
        metrics: {},
      };
    }
    case 'missing_tool':
      return { status: 'UNKNOWN', observation: 'missing_tool', message: 'fping not found: install the Debian package fping', metrics: {} };
    case 'permission_denied':
    case 'error':
      return { status: 'UNKNOWN', observation: sweep.outcome, message: `${describe(config)}: ${sweep.detail}`, metrics: {} };
  }
}

function describe(config: IcmpConfig): string {
  const [first, ...rest] = config.hosts;
  return rest.length === 0 ? first! : `${first} +${rest.length} hosts`;
}

/** What {@link metricsFor} can emit: one host's min/avg/max, or a sweep's counts and worst values. */
function metricNames(config: IcmpConfig): string[] {
  const rtt = config.hosts.length === 1 ? ['rtt_min_ms', 'rtt_avg_ms', 'rtt_max_ms'] : ['hosts_up', 'hosts_down', 'rtt_avg_ms', 'rtt_max_ms'];
  return [...rtt, 'loss_pct'];
}

/**
 * The check's own limits as perfdata ranges on the metrics they judge. Loss alerts at the
 * limit itself (check_ping's convention) where the plain range alerts only above it; a
 * plain number is what graphers read, so it is kept.
 */
function perfRanges(config: IcmpConfig): MetricThresholds {
  const range = (limit: number | undefined) => (limit === undefined ? undefined : parseNagiosRange(limit)!);
  const ranges: Required<MetricThresholds> = { warning: {}, critical: {} };
  for (const [level, rtt, loss] of [['warning', config.rtt_warning_ms, config.loss_warning_pct], ['critical', config.rtt_critical_ms, config.loss_critical_pct]] as const) {
    const rttRange = range(rtt);
    const lossRange = range(loss);
    if (rttRange) ranges[level]['rtt_avg_ms'] = rttRange;
    if (lossRange) ranges[level]['loss_pct'] = lossRange;
  }
  return ranges;
}

/**
 * ICMP echo check through fping: reachability, RTT and loss for one or many hosts.
 *
 * @example
 * const config = icmpCheck.schema.parse({ hosts: ['127.0.0.1'], rtt_warning_ms: 50 });
 * const seen = await icmpCheck.run(config, { signal: AbortSignal.timeout(5000), timeoutMs: 5000 });
 * // seen.status === 'OK', seen.metrics.rtt_avg_ms ≈ 0.04
 */
export const icmpCheck: CheckType<IcmpConfig> = {
  type: 'icmp',
  schema: icmpSchema,
  describe,
  metrics: metricNames,
  perfRanges,
  run,
};
