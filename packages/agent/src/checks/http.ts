import * as z from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { exchangeHttp, type HttpExchange, type HttpResponseSeen } from './http-exchange.js';
import { readCaFile, regexField } from './tls.js';

const DAY_MS = 86_400_000;
/** Response head and body prefix kept in the transcript of a failed check. */
const MAX_TRANSCRIPT_BYTES = 4096;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
// Credentials are meant for the origin they were configured for, as in fetch and curl.
const ORIGIN_BOUND_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding']);

/** An accepted status range; a single code is a range of one. */
export interface StatusRange {
  min: number;
  max: number;
  text: string;
}

function parseStatusRange(value: string | number): StatusRange | undefined {
  const text = String(value).trim().toLowerCase();
  const cls = /^([1-5])xx$/.exec(text);
  if (cls) return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99, text };
  const range = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
  if (!range) return undefined;
  const min = Number(range[1]);
  const max = Number(range[2] ?? range[1]);
  return min >= 100 && max <= 599 && min <= max ? { min, max, text } : undefined;
}

const statusRange = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseStatusRange(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a status code such as 200, a class such as "2xx" or a range such as "200-299", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

const url = z.string().superRefine((text, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an absolute http:// or https:// URL, got ${JSON.stringify(text)}` });
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got scheme ${JSON.stringify(parsed.protocol)} in ${JSON.stringify(text)}` });
  }
});

// RFC 9110 token for names; Node refuses control characters other than tab in values.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (letters, digits, "-")');
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'expected a header value without control characters or line breaks');

export const httpSchema = z
  .object({
    url,
    method: z.string().regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET, HEAD or POST').transform((m) => m.toUpperCase()).default('GET'),
    headers: z.record(headerName, headerValue).default({}),
    body: z.string().optional(),
    // One value or a list; wrapping first keeps the per-item error instead of a union's.
    expect_status: z.preprocess(
      (value) => (value === undefined || Array.isArray(value) ? value : [value]),
      z.array(statusRange).min(1).default([{ min: 200, max: 399, text: '200-399' }]),
    ),
    expect_body: regexField().optional(),
    expect_body_not: regexField().optional(),
    expect_headers: z.record(headerName, regexField()).default({}),
    follow_redirects: z.boolean().default(true),
    max_redirects: z.number().int().min(0).max(30).default(5),
    tls_verify: z.boolean().default(true),
    ca: z.string().min(1).optional(),
    max_body_bytes: z.number().int().min(0).max(64 * 1_048_576).default(1_048_576),
    ip_version: z.union([z.literal(4), z.literal(6)]).optional(),
  })
  .strict();

export type HttpConfig = z.output<typeof httpSchema>;

const round = (ms: number) => Number(ms.toFixed(3));

function metricsOf(exchange: HttpExchange, redirects: number, totalMs: number): Record<string, number> {
  const { timings, response, certNotAfterMs } = exchange;
  const metrics: Record<string, number> = { redirects, total_ms: round(totalMs) };
  if (timings.dnsMs !== undefined) metrics['dns_ms'] = round(timings.dnsMs);
  if (timings.connectMs !== undefined) metrics['connect_ms'] = round(timings.connectMs);
  if (timings.tlsMs !== undefined) metrics['tls_ms'] = round(timings.tlsMs);
  if (timings.ttfbMs !== undefined) metrics['ttfb_ms'] = round(timings.ttfbMs);
  if (certNotAfterMs !== undefined) metrics['cert_days_left'] = round((certNotAfterMs - Date.now()) / DAY_MS);
  if (response) {
    metrics['status_code'] = response.statusCode;
    metrics['body_bytes'] = response.body.length;
    metrics['body_truncated'] = response.truncated ? 1 : 0;
  }
  return metrics;
}

function headerText(response: HttpResponseSeen, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** First failed expectation, as [observation, reason], or undefined when all hold. */
function mismatch(config: HttpConfig, response: HttpResponseSeen): [string, string] | undefined {
  const code = response.statusCode;
  if (!config.expect_status.some((range) => code >= range.min && code <= range.max)) {
    return ['status', `expected ${config.expect_status.map((range) => range.text).join(', ')}`];
  }
  for (const [name, pattern] of Object.entries(config.expect_headers)) {
    const value = headerText(response, name);
    if (value === undefined) return ['header_mismatch', `header ${name} missing, expected /${pattern.source}/`];
    if (!pattern.test(value)) return ['header_mismatch', `header ${name}: ${JSON.stringify(value)} does not match /${pattern.source}/`];
  }
  const body = response.body.toString('utf8');
  const scope = response.truncated ? ` (first ${response.body.length} bytes)` : '';
  if (config.expect_body && !config.expect_body.test(body)) return ['body_mismatch', `body${scope} does not match /${config.expect_body.source}/`];
  if (config.expect_body_not?.test(body)) return ['body_mismatch', `body${scope} matches expect_body_not /${config.expect_body_not.source}/`];
  return undefined;
}

function transcriptOf(method: string, target: URL, response: HttpResponseSeen): Uint8Array {
  const head = [`> ${method} ${target.pathname}${target.search}`, `< ${response.statusCode} ${response.statusMessage}`];
  for (const [name, value] of Object.entries(response.headers)) head.push(`< ${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  const text = Buffer.concat([Buffer.from(`${head.join('\n')}\n\n`), response.body]);
  return new Uint8Array(text.subarray(0, MAX_TRANSCRIPT_BYTES));
}

function parseUrl(text: string, base: URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

const FAILURE_STATUS: Record<string, StatusName> = { resolve_failed: 'UNKNOWN' };

async function run(config: HttpConfig, context: CheckContext): Promise<Observation> {
  const started = performance.now();
  let ca: string | undefined;
  if (config.ca !== undefined) {
    const read = await readCaFile(config.ca, context.signal);
    if ('problem' in read) return { status: 'UNKNOWN', observation: 'error', message: `${config.url} ${read.problem}`, metrics: {} };
    ca = read.pem;
  }
  let target = new URL(config.url);
  let method = config.method;
  let body = config.body;
  const headers: Record<string, string> = { 'User-Agent': 'outpost-agent', ...config.headers };
  const seen = new Set<string>();
  let redirects = 0;

  // Bounded: every pass either returns or follows one more redirect, at most max_redirects.
  for (;;) {
    seen.add(`${method} ${target.href}`);
    const exchange = await exchangeHttp({
      url: target,
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      tlsVerify: config.tls_verify,
      ...(ca === undefined ? {} : { ca }),
      ...(config.ip_version === undefined ? {} : { family: config.ip_version }),
      maxBodyBytes: config.max_body_bytes,
      signal: context.signal,
    });
    const metrics = metricsOf(exchange, redirects, performance.now() - started);
    const where = `${method} ${target.href}`;
    if (exchange.failure) {
      const { kind, detail } = exchange.failure;
      const observation = kind === 'resolve_failed' ? 'error' : kind;
      const took = kind === 'timeout' ? ` within ${context.timeoutMs} ms` : '';
      return { status: FAILURE_STATUS[kind] ?? 'CRITICAL', observation, message: `${where} ${kind === 'tls_failed' ? 'TLS failed: ' : ''}${detail}${took}`, metrics };
    }
    const response = exchange.response!;
    const location = headerText(response, 'location');
    const next = config.follow_redirects && REDIRECT_CODES.has(response.statusCode) && location !== undefined ? parseUrl(location, target) : undefined;
    // Only http(s) redirects are followed; any other scheme is judged as the final answer.
    if (next && (next.protocol === 'http:' || next.protocol === 'https:')) {
      if (response.statusCode === 303 && method !== 'HEAD') method = 'GET';
      if ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST') method = 'GET';
      if (method === 'GET' && body !== undefined) {
        body = undefined;
        for (const name of Object.keys(headers)) if (BODY_HEADERS.has(name.toLowerCase())) delete headers[name];
      }
      if (next.origin !== target.origin) for (const name of Object.keys(headers)) if (ORIGIN_BOUND_HEADERS.has(name.toLowerCase())) delete headers[name];
      const loop = seen.has(`${method} ${next.href}`);
      if (loop || redirects >= config.max_redirects) {
        const why = loop ? `redirect loop back to ${next.href}` : `more than ${config.max_redirects} redirects (next ${next.href})`;
        return { status: 'CRITICAL', observation: 'too_many_redirects', message: `${config.method} ${config.url} ${why}`, metrics };
      }
      redirects += 1;
      target = next;
      continue;
    }
    const answer = `${where} → ${response.statusCode} ${response.statusMessage}`.trimEnd();
    const size = `${response.body.length} bytes${response.truncated ? ` (truncated at max_body_bytes ${config.max_body_bytes})` : ''}`;
    const via = redirects > 0 ? ` after ${redirects} redirect${redirects === 1 ? '' : 's'}` : '';
    const failed = mismatch(config, response);
    if (failed) {
      return {
        status: 'CRITICAL',
        observation: failed[0],
        message: `${answer}${via}, ${failed[1]}`,
        metrics,
        transcript: transcriptOf(method, target, response),
      };
    }
    const cert = metrics['cert_days_left'] === undefined ? '' : `, cert expires in ${Math.floor(metrics['cert_days_left'])} days`;
    return { status: 'OK', observation: 'ok', message: `${answer}${via}, ${size} in ${metrics['total_ms']!.toFixed(1)} ms${cert}`, metrics };
  }
}

/** What {@link metricsOf} can emit; the TLS ones only where an https:// URL can be reached, directly or by a redirect. */
function metricNames(config: HttpConfig): string[] {
  const tls = new URL(config.url).protocol === 'https:' || (config.follow_redirects && config.max_redirects > 0);
  return ['redirects', 'total_ms', 'dns_ms', 'connect_ms', ...(tls ? ['tls_ms', 'cert_days_left'] : []), 'ttfb_ms', 'status_code', 'body_bytes', 'body_truncated'];
}

/**
 * HTTP(S) check: one request (plus redirects), judged on status, headers and body, with a
 * timing breakdown. Timings other than `total_ms` belong to the last request of the chain.
 *
 * @example
 * const config = httpCheck.schema.parse({ url: 'https://intranet.lan/health', expect_body: '"ok"' });
 * const observation = await httpCheck.run(config, { signal, timeoutMs: 10_000 });
 * // { status: 'OK', observation: 'ok', metrics: { status_code: 200, ttfb_ms: 12.4, ... } }
 */
export const httpCheck: CheckType<HttpConfig> = {
  type: 'http',
  schema: httpSchema,
  describe: (config) => config.url,
  metrics: metricNames,
  run,
};
