import { isIP } from 'node:net';
import type { Answer, DecodedPacket, Question, RecordType } from 'dns-packet';
import * as z from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { formatHostPort, parseHostPort } from './target.js';

/** Limits of the DNS check. */
export const DNS_LIMITS = {
  /** Datagrams queued on the UDP socket while one is being checked. */
  maxQueuedDatagrams: 16,
  /** Spoofed or stale replies ignored before the server counts as answering garbage. */
  maxIgnoredReplies: 32,
  /** Answers listed in a message; the `answers` metric still counts them all. */
  maxAnswersShown: 5,
  /** Characters of one answer's text form shown in a message. */
  maxAnswerChars: 80,
} as const;

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'CNAME', 'SOA', 'PTR', 'SRV', 'CAA'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** RFC 1035 and RFC 2136 response codes, by their 4-bit value. */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;

/** Names whose text form is a domain name, compared without case or trailing dot. */
const NAME_TYPES = new Set(['CNAME', 'NS', 'PTR', 'MX', 'SRV', 'SOA', 'DNAME']);

function oneOf<const T extends readonly string[]>(values: T, what: string) {
  return z.string().transform((text, ctx) => {
    const upper = text.toUpperCase();
    if ((values as readonly string[]).includes(upper)) return upper as T[number];
    ctx.addIssue({ code: 'custom', message: `expected a ${what}, one of ${values.join(', ')}, got ${JSON.stringify(text)}` });
    return z.NEVER;
  });
}

const server = z.string().transform((text, ctx) => {
  // An address, not a name: resolving the server through DNS would mix its failures into ours.
  const parsed = parseHostPort(text, 53);
  if (parsed === undefined || isIP(parsed.host) === 0) {
    ctx.addIssue({ code: 'custom', message: `expected an IP address with an optional port in 1-65535 ("127.0.0.1", "192.0.2.53:5353", "[::1]:53"), got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return parsed;
});

const domainName = z.string().transform((text, ctx) => {
  const name = text.replace(/\.$/, '');
  const labels = name === '' ? [] : name.split('.');
  const bad = labels.find((label) => !/^[A-Za-z0-9_-]{1,63}$/.test(label));
  if (bad !== undefined || name.length > 253) {
    const why = bad === undefined ? `${name.length} characters, max 253` : `label ${JSON.stringify(bad)} is not 1-63 letters, digits, "-" or "_"`;
    ctx.addIssue({ code: 'custom', message: `expected a domain name, got ${JSON.stringify(text)} (${why})` });
    return z.NEVER;
  }
  return name === '' ? '.' : name;
});

const pattern = z.string().transform((source, ctx) => {
  try {
    return new RegExp(source);
  } catch (err: unknown) {
    ctx.addIssue({ code: 'custom', message: `expected a regular expression, got ${JSON.stringify(source)} (${err instanceof Error ? err.message : String(err)})` });
    return z.NEVER;
  }
});

/** `10.2.0.192.in-addr.arpa` for `192.0.2.10`, nibbles under `ip6.arpa` for IPv6. */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail] = canonicalIp(ip).split('::');
  const before = head === '' ? [] : head.split(':');
  const after = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  const hex = [...before, ...zeros, ...after].map((group) => group.padStart(4, '0')).join('');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}

function canonicalIp(ip: string): string {
  // The URL parser writes IPv6 in the RFC 5952 form dns-packet also uses (lowercase, `::`).
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** Text form of an expected answer, or of a received one, for comparison. */
function normalize(text: string, type: string): string {
  const trimmed = text.trim();
  if (isIP(trimmed) !== 0) return canonicalIp(trimmed);
  return NAME_TYPES.has(type) ? trimmed.toLowerCase().replace(/\.(?=\s|$)/g, '') : trimmed;
}

/**
 * Query one DNS server for `name` and `record_type`; all `expect_*` keys that are set
 * must hold. `PTR` queries accept an IP address as `name`. `expect_answers` and
 * `min_answers` look at every record in the answer section (a CNAME chain included).
 */
export const dnsSchema = z
  .object({
    server: server,
    name: z.string(),
    record_type: oneOf(DNS_RECORD_TYPES, 'record type').default('A'),
    recursion_desired: z.boolean().default(true),
    expect_rcode: z.union([z.string(), z.array(z.string()).min(1)]).default('NOERROR'),
    expect_answers: z.array(z.string().min(1)).optional(),
    expect_match: pattern.optional(),
    expect_authoritative: z.boolean().optional(),
    min_answers: z.number().int().min(0).optional(),
  })
  .strict()
  .transform((config, ctx) => {
    const name = config.record_type === 'PTR' && isIP(config.name) !== 0 ? reverseName(config.name) : config.name;
    const parsed = domainName.safeParse(name);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['name'] });
      return z.NEVER;
    }
    // Checked here rather than with z.union, whose error would only say "Invalid input".
    const rcodes = z.array(oneOf(DNS_RCODES, 'response code')).safeParse(typeof config.expect_rcode === 'string' ? [config.expect_rcode] : config.expect_rcode);
    if (!rcodes.success) {
      for (const issue of rcodes.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['expect_rcode'] });
      return z.NEVER;
    }
    return { ...config, name: parsed.data, expect_rcode: rcodes.data };
  });

export type DnsConfig = z.output<typeof dnsSchema>;

/** An answer as dig would show its data: `192.0.2.1`, `10 mail.example.`, `0 issue "ca.example"`. */
export function answerText(answer: Answer): string {
  switch (answer.type) {
    case 'MX':
      return `${answer.data.preference ?? 0} ${answer.data.exchange}`;
    case 'TXT': {
      // RFC 7208 §3.3: the character-strings of one TXT record are read as one string.
      const chunks = Array.isArray(answer.data) ? answer.data : [answer.data];
      return chunks.map((chunk) => (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).join('');
    }
    case 'SOA': {
      const soa = answer.data;
      return `${soa.mname} ${soa.rname} ${soa.serial ?? 0} ${soa.refresh ?? 0} ${soa.retry ?? 0} ${soa.expire ?? 0} ${soa.minimum ?? 0}`;
    }
    case 'SRV':
      return `${answer.data.priority ?? 0} ${answer.data.weight ?? 0} ${answer.data.port} ${answer.data.target}`;
    case 'CAA':
      return `${answer.data.flags ?? 0} ${answer.data.tag} "${answer.data.value}"`;
    case 'OPT':
      return 'OPT';
    default:
      return typeof answer.data === 'string' ? answer.data : Buffer.isBuffer(answer.data) ? answer.data.toString('hex') : JSON.stringify(answer.data);
  }
}

function rcodeOf(reply: DecodedPacket): string {
  const code = (reply.flags ?? 0) & 0xf;
  return DNS_RCODES[code] ?? `RCODE${code}`;
}

/** What is wrong with a reply whose rcode was expected, or undefined when all expectations hold. */
function unmet(config: DnsConfig, reply: DecodedPacket, texts: { type: string; text: string }[]): string | undefined {
  const have = new Set(texts.map(({ type, text }) => normalize(text, type)));
  const missing = (config.expect_answers ?? []).filter((want) => !have.has(normalize(want, config.record_type)));
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  if (config.expect_match !== undefined && !texts.some(({ text }) => config.expect_match!.test(text))) return `no answer matches ${config.expect_match}`;
  if (config.min_answers !== undefined && texts.length < config.min_answers) return `${texts.length} answers, expected at least ${config.min_answers}`;
  if (config.expect_authoritative !== undefined && reply.flag_aa !== config.expect_authoritative) {
    return config.expect_authoritative ? 'answer is not authoritative (AA clear), expected authoritative' : 'answer is authoritative (AA set), expected not';
  }
  return undefined;
}

async function run(config: DnsConfig, context: CheckContext): Promise<Observation> {
  const what = describe(config);
  const question: Question = { type: config.record_type as RecordType, name: config.name, class: 'IN' };
  // dns-packet and the query code load with the first DNS check, not with every agent.
  const { queryDns } = await import('./dns-query.js');
  const started = performance.now();
  const outcome = await queryDns(config.server, question, config.recursion_desired, context.signal, {
    timeoutMs: context.timeoutMs,
    maxQueuedDatagrams: DNS_LIMITS.maxQueuedDatagrams,
    maxIgnoredReplies: DNS_LIMITS.maxIgnoredReplies,
  });
  const result = (status: StatusName, observation: string, message: string, metrics: Record<string, number> = {}): Observation => ({
    status,
    observation,
    message: `${what}: ${message}`,
    metrics,
  });
  switch (outcome.kind) {
    case 'aborted':
      if (outcome.ignored.length === 0) return result('CRITICAL', 'timeout', `no reply within ${context.timeoutMs} ms`);
      return result('CRITICAL', 'bad_reply', `no matching reply within ${context.timeoutMs} ms; ignored ${outcome.ignored.length} (${outcome.ignored.slice(0, 3).join('; ')})`, {
        ignored_replies: outcome.ignored.length,
      });
    case 'bad_reply':
      return result('CRITICAL', 'bad_reply', outcome.reason);
    case 'refused':
      return result('CRITICAL', 'refused', outcome.transport === 'udp' ? 'port unreachable (ICMP), no DNS server listening' : 'TCP connection refused on retry after a truncated UDP answer');
    case 'unreachable':
      return result('CRITICAL', 'unreachable', `server unreachable ${outcome.code}`);
    case 'error':
      return result('UNKNOWN', 'error', `socket error ${outcome.code}`);
  }
  const { reply, transport } = outcome;
  const queryMs = Number((performance.now() - started).toFixed(3));
  const texts = (reply.answers ?? []).map((answer) => ({ type: answer.type, text: answerText(answer) }));
  const metrics: Record<string, number> = { query_ms: queryMs, answers: texts.length };
  if (transport === 'tcp') metrics.udp_ms = Number(outcome.udpMs.toFixed(3));
  const rcode = rcodeOf(reply);
  const shown = texts.slice(0, DNS_LIMITS.maxAnswersShown).map(({ text }) => (text.length > DNS_LIMITS.maxAnswerChars ? `${text.slice(0, DNS_LIMITS.maxAnswerChars)}…` : text));
  const more = texts.length > shown.length ? ` and ${texts.length - shown.length} more` : '';
  const seen = `${rcode}, ${texts.length} answer${texts.length === 1 ? '' : 's'}${texts.length > 0 ? ` (${shown.join(', ')}${more})` : ''}${transport === 'tcp' ? ' over TCP after a truncated UDP answer' : ''} in ${queryMs.toFixed(1)} ms`;
  if (!config.expect_rcode.includes(rcode as (typeof DNS_RCODES)[number])) {
    return result('CRITICAL', 'rcode', `${seen}, expected ${config.expect_rcode.join(' or ')}`, metrics);
  }
  const problem = unmet(config, reply, texts);
  if (problem !== undefined) return result('CRITICAL', 'mismatch', `${problem}; got ${seen}`, metrics);
  return result('OK', 'ok', seen, metrics);
}

function describe(config: DnsConfig): string {
  return `${config.name} ${config.record_type} @${formatHostPort(config.server)}`;
}

/**
 * DNS check: one query to one server over UDP (TCP when the answer is truncated), with
 * expectations on the response code, the answers and the AA flag.
 *
 * @example
 * const config = dnsCheck.schema.parse({ server: '127.0.0.1', name: 'example.test', record_type: 'MX', expect_answers: ['10 mail.example.test'] });
 * await dnsCheck.run(config, { signal, timeoutMs: 5000 }); // { status: 'OK', observation: 'ok', metrics: { query_ms, answers } }
 */
export const dnsCheck: CheckType<DnsConfig> = {
  type: 'dns',
  schema: dnsSchema,
  describe,
  // udp_ms only after a truncated UDP answer (then query_ms covers the TCP retry too),
  // ignored_replies only when no matching reply came.
  metrics: () => ['query_ms', 'answers', 'udp_ms', 'ignored_replies'],
  run,
};
