import * as z from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, snmpGet, type SnmpLevel, type SnmpValue, type SnmpVersion } from './snmp-session.js';
import { formatHostPort, hostPortField } from './target.js';
import { nagiosRange, nagiosRangeAlerts, type MetricThresholds, type NagiosRange } from './thresholds.js';

const pattern = z.string().transform((source, ctx) => {
  try {
    return new RegExp(source);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a regular expression, got ${JSON.stringify(source)}` });
    return z.NEVER;
  }
});

/** Most OIDs one check may GET; one request, one datagram. */
export const MAX_SNMP_OIDS = 64;

const oidEntry = z
  .object({
    oid: z.string().transform((text, ctx) => {
      const oid = text.replace(/^\./, '');
      if (!/^\d+(\.\d+)+$/.test(oid)) {
        ctx.addIssue({ code: 'custom', message: `expected a numeric OID such as "1.3.6.1.2.1.1.3.0", got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return oid;
    }),
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'expected a metric name of letters, digits and _' }).optional(),
    warning: nagiosRange.optional(),
    critical: nagiosRange.optional(),
    expect: pattern.optional(),
  })
  .strict();

// Keys are never echoed: messages give lengths and names, not values.
const secret = (key: string) => z.string({ error: `expected ${key} as text` }).min(8, { error: (issue) => `expected ${key} of at least 8 characters (RFC 3414), got ${String((issue.input as string).length)}` });

export const snmpSchema = z
  .object({
    target: hostPortField(161),
    version: z
      .union([z.literal(1), z.literal(2), z.literal(3), z.enum(['1', '2', '2c', '3'])], { error: 'expected version 1, 2c or 3' })
      .default('2c')
      .transform((value): SnmpVersion => (value === 1 || value === '1' ? '1' : value === 3 || value === '3' ? '3' : '2c')),
    community: z.string().min(1, { error: 'expected a non-empty community' }).optional(),
    user: z.string().min(1, { error: 'expected a non-empty user' }).optional(),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).optional(),
    auth_protocol: z.enum(AUTH_PROTOCOLS).optional(),
    auth_key: secret('auth_key').optional(),
    priv_protocol: z.enum(PRIV_PROTOCOLS).optional(),
    priv_key: secret('priv_key').optional(),
    context: z.string().optional(),
    retries: z.number().int().min(0).max(5).default(1),
    oids: z.array(oidEntry).min(1, { error: 'expected at least one OID' }).max(MAX_SNMP_OIDS, { error: `expected at most ${MAX_SNMP_OIDS} OIDs` }),
  })
  .strict()
  .transform((config, ctx) => {
    const fail = (key: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [key], message });
      return z.NEVER;
    };
    if (config.version !== '3') {
      for (const key of ['user', 'level', 'auth_protocol', 'auth_key', 'priv_protocol', 'priv_key', 'context'] as const) {
        if (config[key] !== undefined) return fail(key, `${key} applies to SNMP version 3 only, got version ${config.version}`);
      }
      return { ...config, community: config.community ?? 'public', level: 'noAuthNoPriv' as SnmpLevel };
    }
    if (config.community !== undefined) return fail('community', 'community applies to SNMP version 1 and 2c; version 3 uses user and keys');
    if (config.user === undefined) return fail('user', 'expected a user for SNMP version 3');
    const level: SnmpLevel = config.level ?? (config.priv_key !== undefined ? 'authPriv' : config.auth_key !== undefined ? 'authNoPriv' : 'noAuthNoPriv');
    const needs = level === 'authPriv' ? (['auth_protocol', 'auth_key', 'priv_protocol', 'priv_key'] as const) : level === 'authNoPriv' ? (['auth_protocol', 'auth_key'] as const) : [];
    for (const key of needs) {
      if (config[key] === undefined) return fail(key, `expected ${key} for security level ${level}`);
    }
    return { ...config, community: '', level };
  });

export type SnmpConfig = z.output<typeof snmpSchema>;
type OidSpec = SnmpConfig['oids'][number];

interface OidVerdict {
  status: StatusName;
  observation: 'ok' | 'threshold' | 'mismatch' | 'no_such_object' | 'error';
  text: string;
}

const RANK: Record<StatusName, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };
const MAX_SHOWN_CHARS = 80;
const MAX_NAMED_OIDS = 5;

const shown = (text: string) => JSON.stringify(text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);

/** A value as a number, when it is one or is text that spells one (e.g. UCD laLoad "0.15"). */
function numberOf(value: SnmpValue): number | undefined {
  if (value.kind === 'number') return value.value;
  if (value.kind === 'text' && /^\s*-?\d+(\.\d+)?\s*$/.test(value.value)) return Number(value.value);
  return undefined;
}

function judge(spec: OidSpec, value: SnmpValue): OidVerdict {
  const label = spec.name ?? spec.oid;
  if (value.kind === 'missing') return { status: 'UNKNOWN', observation: 'no_such_object', text: `${label} (${spec.oid}) ${value.reason}` };
  const text = value.kind === 'number' ? String(value.value) : value.value;
  const seen = `${label}=${value.kind === 'number' ? text : shown(text)}`;
  if (spec.expect && !spec.expect.test(text)) return { status: 'CRITICAL', observation: 'mismatch', text: `${seen} does not match /${spec.expect.source}/` };
  if (spec.warning || spec.critical) {
    const number = numberOf(value);
    if (number === undefined) return { status: 'UNKNOWN', observation: 'error', text: `${seen} is not a number, warning/critical need one` };
    if (spec.critical && nagiosRangeAlerts(spec.critical, number)) return { status: 'CRITICAL', observation: 'threshold', text: `${seen} breaks critical "${spec.critical.text}"` };
    if (spec.warning && nagiosRangeAlerts(spec.warning, number)) return { status: 'WARNING', observation: 'threshold', text: `${seen} breaks warning "${spec.warning.text}"` };
  }
  return { status: 'OK', observation: 'ok', text: seen };
}

async function run(config: SnmpConfig, context: CheckContext): Promise<Observation> {
  const where = formatHostPort(config.target);
  const oids = config.oids.map((spec) => spec.oid);
  const got = await snmpGet(
    {
      target: config.target,
      version: config.version,
      community: config.community,
      user: config.user,
      level: config.level,
      authProtocol: config.auth_protocol,
      authKey: config.auth_key,
      privProtocol: config.priv_protocol,
      privKey: config.priv_key,
      context: config.context,
      retries: config.retries,
      timeoutMs: context.timeoutMs,
      signal: context.signal,
    },
    oids,
  );
  const response = { response_ms: got.elapsedMs };
  const who = config.version === '3' ? `v3 user ${config.user}` : `v${config.version}`;
  switch (got.outcome) {
    case 'timeout':
      return {
        status: 'CRITICAL',
        observation: 'timeout',
        // Agents drop requests with a wrong community or priv key silently, so say so.
        message: `${where} no SNMP ${who} answer within ${context.timeoutMs} ms (agent down, or credentials not accepted)`,
        metrics: {},
      };
    case 'auth_failed':
      return { status: 'UNKNOWN', observation: 'auth_failed', message: `${where} SNMP ${who} authentication failed: ${got.detail}`, metrics: response };
    case 'error':
      return { status: 'UNKNOWN', observation: 'error', message: `${where} SNMP ${who} error: ${got.detail}`, metrics: {} };
    case 'no_such_object': {
      const spec = config.oids.find((entry) => entry.oid === got.oid);
      const label = spec?.name ? `${spec.name} (${got.oid})` : got.oid;
      return { status: 'UNKNOWN', observation: 'no_such_object', message: `${where} has no object ${label}`, metrics: response };
    }
    case 'answered':
      break;
  }
  const metrics: Record<string, number> = { ...response };
  const verdicts = config.oids.map((spec, index) => {
    const value: SnmpValue = got.values[index] ?? { kind: 'missing', reason: 'no varbind in response' };
    const number = numberOf(value);
    if (number !== undefined) metrics[spec.name ?? spec.oid] = number;
    return judge(spec, value);
  });
  const worst = verdicts.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
  const listed = worst.status === 'OK' ? verdicts : verdicts.filter((verdict) => verdict.status !== 'OK');
  const more = listed.length > MAX_NAMED_OIDS ? `; +${listed.length - MAX_NAMED_OIDS} more` : '';
  return {
    status: worst.status,
    observation: worst.observation,
    // "answered", not "ok": a --warning/--critical on a metric may still raise the status
    // after this (applyThresholds), and each OID's own verdict is in its text.
    message: `${where} answered in ${got.elapsedMs.toFixed(1)} ms: ${listed.slice(0, MAX_NAMED_OIDS).map((v) => v.text).join('; ')}${more}`,
    metrics,
  };
}

/**
 * SNMP GET check (v1, v2c, v3 USM) through net-snmp: compares numbers with Nagios ranges
 * and text with regular expressions.
 *
 * @example
 * const config = snmpCheck.schema.parse({
 *   target: '127.0.0.1:161', version: '2c', community: 'public',
 *   oids: [{ oid: '1.3.6.1.2.1.1.3.0', name: 'uptime', critical: '6000:' }],
 * });
 * const seen = await snmpCheck.run(config, { signal: AbortSignal.timeout(5000), timeoutMs: 5000 });
 */
export const snmpCheck: CheckType<SnmpConfig> = {
  type: 'snmp',
  schema: snmpSchema,
  describe: (config) => formatHostPort(config.target),
  // Each OID's value under its name (the OID itself without one), when it reads as a number.
  metrics: (config) => ['response_ms', ...config.oids.map((spec) => spec.name ?? spec.oid)],
  perfRanges: (config) => {
    const ranges: Required<MetricThresholds> = { warning: {}, critical: {} };
    for (const spec of config.oids) {
      if (spec.warning) ranges.warning[spec.name ?? spec.oid] = spec.warning;
      if (spec.critical) ranges.critical[spec.name ?? spec.oid] = spec.critical;
    }
    return ranges;
  },
  run,
};
