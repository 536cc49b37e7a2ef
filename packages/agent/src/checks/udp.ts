import * as z from 'zod';
import { durationMs } from '../duration.js';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { escapeBytes, parseEscapedText, parseHexBytes, type BytesParse } from './bytes-text.js';
import { formatHostPort, hostPortField } from './target.js';
import { ConnectedUdpSocket, type UdpFailure } from './udp-socket.js';

/** Limits on what a UDP check may configure and keep. */
export const UDP_LIMITS = {
  /** Largest UDP payload over IPv4 (65,535 minus the IP and UDP headers). */
  maxDatagramBytes: 65_507,
  /** Sends per conversation; each send starts a round. */
  maxRounds: 32,
  /** Steps per conversation (sends plus expects). */
  maxSteps: 64,
  /** Datagrams held between reads, so a chatty peer cannot grow memory. */
  maxQueuedDatagrams: 16,
  /** Bytes of one datagram shown (escaped) in the message. */
  maxMessageBytes: 64,
  /** Bytes of one datagram shown (escaped) in a transcript line. */
  maxTranscriptLineBytes: 256,
  /** Total size of the transcript kept with a failed conversation. */
  maxTranscriptBytes: 16_384,
} as const;

/** Bytes in a message: quoted, escaped, and cut after `maxBytes` with the rest counted. */
function showBytes(bytes: Uint8Array, maxBytes: number): string {
  const shown = `"${escapeBytes(bytes.subarray(0, maxBytes))}"`;
  return bytes.length > maxBytes ? `${shown}…(+${bytes.length - maxBytes} bytes)` : shown;
}

function bytesField(parse: (text: string) => BytesParse) {
  return z.string().transform((text, ctx) => {
    const parsed = parse(text);
    if ('error' in parsed || parsed.bytes.length > UDP_LIMITS.maxDatagramBytes) {
      const message = 'error' in parsed ? parsed.error : `expected at most ${UDP_LIMITS.maxDatagramBytes} bytes in one datagram, got ${parsed.bytes.length}`;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return parsed.bytes;
  });
}

/**
 * Compile an expect pattern. Replies are matched as latin1 text (one character per byte),
 * so `\x00` in a pattern matches a zero byte. `g` and `y` are refused: they make a RegExp
 * remember `lastIndex` between runs.
 */
function compileExpect(source: string, flags = ''): RegExp | string {
  if (!/^(?!.*(.).*\1)[imsu]*$/.test(flags)) return `expected regex flags from i, m, s, u (each once), got ${JSON.stringify(flags)}`;
  try {
    return new RegExp(source, flags);
  } catch (err: unknown) {
    return `expected a regular expression, got ${JSON.stringify(source)} (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** One validated step: a datagram to send or a test for the next datagram received. */
export type UdpStep =
  | { kind: 'send'; bytes: Uint8Array }
  | { kind: 'expect'; test: (reply: Buffer) => boolean; shown: string; timeoutMs?: number };

const sendText = bytesField(parseEscapedText);
const hexBytes = bytesField(parseHexBytes);
const stepTimeout = durationMs({ minMs: 1, maxMs: 3_600_000 });
const withTimeout = (timeoutMs: number | undefined) => (timeoutMs === undefined ? {} : { timeoutMs });

function expectRegex(source: string, flags: string | undefined, ctx: z.RefinementCtx, path: PropertyKey[]): UdpStep {
  const regex = compileExpect(source, flags);
  if (typeof regex === 'string') {
    ctx.addIssue({ code: 'custom', message: regex, path });
    return { kind: 'expect', test: () => false, shown: '' };
  }
  return { kind: 'expect', test: (reply) => regex.test(reply.toString('latin1')), shown: String(regex) };
}

function expectBytes(bytes: Uint8Array): UdpStep {
  // "Contains" rather than "equals": anchor with a regex such as `^\x01\x02` when needed.
  return { kind: 'expect', test: (reply) => reply.indexOf(bytes) !== -1, shown: `bytes ${Buffer.from(bytes).toString('hex')}` };
}

const STEP_FORMS = {
  send: z.object({ send: sendText }).strict().transform((s): UdpStep => ({ kind: 'send', bytes: s.send })),
  send_hex: z.object({ send_hex: hexBytes }).strict().transform((s): UdpStep => ({ kind: 'send', bytes: s.send_hex })),
  expect: z
    .object({ expect: z.string(), flags: z.string().optional(), timeout: stepTimeout.optional() })
    .strict()
    .transform((s, ctx): UdpStep => ({ ...expectRegex(s.expect, s.flags, ctx, ['expect']), ...withTimeout(s.timeout) })),
  expect_bytes: z
    .object({ expect_bytes: hexBytes, timeout: stepTimeout.optional() })
    .strict()
    .transform((s): UdpStep => ({ ...expectBytes(s.expect_bytes), ...withTimeout(s.timeout) })),
};

// Picked by key rather than z.union, so a bad regex in an expect step is reported as
// such instead of as "Invalid input" from every branch.
const step = z.unknown().transform((value, ctx): UdpStep => {
  const form = typeof value === 'object' && value !== null ? (Object.keys(STEP_FORMS) as (keyof typeof STEP_FORMS)[]).find((key) => key in value) : undefined;
  const parsed = form === undefined ? undefined : STEP_FORMS[form].safeParse(value);
  if (parsed?.success) return parsed.data;
  for (const issue of parsed?.error.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  if (parsed === undefined) ctx.addIssue({ code: 'custom', message: `expected a step with one of send, send_hex, expect, expect_bytes, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

/**
 * `steps` (a conversation), or the short form `send`/`send_hex` plus `expect`/`expect_bytes`
 * for one round. `expect_no_reply` then asks that nothing more arrives after the last step.
 */
export const udpSchema = z
  .object({
    target: hostPortField(),
    steps: z.array(step).min(1).max(UDP_LIMITS.maxSteps).optional(),
    send: sendText.optional(),
    send_hex: hexBytes.optional(),
    expect: z.string().optional(),
    flags: z.string().optional(),
    expect_bytes: hexBytes.optional(),
    expect_no_reply: z.boolean().default(false),
    step_timeout: stepTimeout.default(2_000),
  })
  .strict()
  .transform((config, ctx) => {
    const base = { target: config.target, expect_no_reply: config.expect_no_reply, step_timeout: config.step_timeout };
    const shortKeys = (['send', 'send_hex', 'expect', 'flags', 'expect_bytes'] as const).filter((key) => config[key] !== undefined);
    const fail = (message: string, path: PropertyKey[] = []) => {
      ctx.addIssue({ code: 'custom', message, path });
      return z.NEVER;
    };
    if (config.steps !== undefined) {
      if (shortKeys.length > 0) return fail(`expected either steps or the short form, got steps and ${shortKeys.join(', ')}`);
      if (config.steps[0]!.kind !== 'send') return fail('expected the first step to be send or send_hex, got an expect', ['steps', 0]);
      const rounds = config.steps.filter((s) => s.kind === 'send').length;
      if (rounds > UDP_LIMITS.maxRounds) return fail(`expected at most ${UDP_LIMITS.maxRounds} sends, got ${rounds}`, ['steps']);
      return { ...base, steps: config.steps };
    }
    const send = config.send ?? config.send_hex;
    if (send === undefined || (config.send !== undefined && config.send_hex !== undefined)) {
      return fail(`expected steps, or exactly one of send and send_hex, got ${shortKeys.join(', ') || 'neither'}`);
    }
    if (config.expect !== undefined && config.expect_bytes !== undefined) return fail('expected one of expect and expect_bytes, got both');
    if (config.flags !== undefined && config.expect === undefined) return fail('expected flags only together with expect', ['flags']);
    if (config.expect === undefined && config.expect_bytes === undefined && !config.expect_no_reply) {
      return fail('expected expect, expect_bytes or expect_no_reply: true after the send');
    }
    const steps: UdpStep[] = [{ kind: 'send', bytes: send }];
    if (config.expect !== undefined) steps.push(expectRegex(config.expect, config.flags, ctx, ['expect']));
    if (config.expect_bytes !== undefined) steps.push(expectBytes(config.expect_bytes));
    return { ...base, steps };
  });

export type UdpConfig = z.output<typeof udpSchema>;

const FAILURE: Record<Exclude<UdpFailure['kind'], 'aborted'>, { status: StatusName; text: string }> = {
  port_unreachable: { status: 'CRITICAL', text: 'port unreachable (ICMP)' },
  unreachable: { status: 'CRITICAL', text: 'host unreachable' },
  resolve_failed: { status: 'UNKNOWN', text: 'name does not resolve' },
  error: { status: 'UNKNOWN', text: 'socket error' },
};

async function run(config: UdpConfig, context: CheckContext): Promise<Observation> {
  const where = formatHostPort(config.target);
  const started = performance.now();
  const since = (from: number) => Number((performance.now() - from).toFixed(3));
  const metrics: Record<string, number> = {};
  const lines: string[] = [];
  let transcriptBytes = 0;
  const note = (line: string) => {
    const size = Buffer.byteLength(line) + 1;
    if (transcriptBytes + size <= UDP_LIMITS.maxTranscriptBytes) lines.push(line);
    transcriptBytes += size;
  };
  let socket: ConnectedUdpSocket | undefined;
  const result = (status: StatusName, observation: string, message: string): Observation => {
    if (socket !== undefined && socket.dropped > 0) metrics.dropped_datagrams = socket.dropped;
    if (status === 'OK') return { status, observation, message: `${where} ${message}`, metrics };
    if (transcriptBytes > UDP_LIMITS.maxTranscriptBytes) lines.push(`(transcript cut at ${UDP_LIMITS.maxTranscriptBytes} bytes)`);
    return { status, observation, message: `${where} ${message}`, metrics, transcript: new TextEncoder().encode(lines.join('\n') + '\n') };
  };

  const opened = await ConnectedUdpSocket.open(config.target, context.signal, { maxQueuedDatagrams: UDP_LIMITS.maxQueuedDatagrams });
  if (opened instanceof ConnectedUdpSocket) socket = opened;
  else {
    if (opened.kind === 'aborted') return result('UNKNOWN', 'timeout', `not reached within ${context.timeoutMs} ms (resolving or connecting)`);
    const code = 'code' in opened ? ` ${opened.code}` : '';
    return result(FAILURE[opened.kind].status, opened.kind, `${FAILURE[opened.kind].text}${code}`);
  }
  let round = 0;
  let roundStarted = started;
  let firstSent: number | undefined;
  const stopped = (got: UdpFailure | { kind: 'timeout' }, waitedMs: number): Observation => {
    if (got.kind === 'timeout' || got.kind === 'aborted') {
      note(`! no reply within ${got.kind === 'timeout' ? `${waitedMs} ms` : `the check timeout (${context.timeoutMs} ms)`}`);
      return result('CRITICAL', 'no_reply', `no reply in round ${round} within ${got.kind === 'timeout' ? waitedMs : context.timeoutMs} ms`);
    }
    const code = 'code' in got ? ` ${got.code}` : '';
    note(`! ${FAILURE[got.kind].text}${code}`);
    return result(FAILURE[got.kind].status, got.kind, `${FAILURE[got.kind].text}${code} in round ${round}`);
  };
  try {
    for (const current of config.steps) {
      if (current.kind === 'send') {
        round += 1;
        roundStarted = performance.now();
        firstSent ??= roundStarted;
        note(`> round ${round}: ${current.bytes.length} bytes ${showBytes(current.bytes, UDP_LIMITS.maxTranscriptLineBytes)}`);
        const failed = await socket.send(current.bytes);
        if (failed !== undefined) return stopped(failed, 0);
        continue;
      }
      const waitMs = current.timeoutMs ?? config.step_timeout;
      const got = await socket.receive(waitMs, context.signal);
      if (got.kind !== 'datagram') return stopped(got, waitMs);
      metrics[`round${round}_ms`] = since(roundStarted);
      metrics.rtt_ms = since(firstSent!);
      note(`< ${got.bytes.length} bytes after ${metrics[`round${round}_ms`]} ms ${showBytes(got.bytes, UDP_LIMITS.maxTranscriptLineBytes)}`);
      if (!current.test(got.bytes)) {
        note(`! expected ${current.shown}`);
        return result('CRITICAL', 'mismatch', `round ${round}: reply ${showBytes(got.bytes, UDP_LIMITS.maxMessageBytes)} did not match ${current.shown}`);
      }
    }
    if (config.expect_no_reply) {
      const silenceStarted = performance.now();
      const got = await socket.receive(config.step_timeout, context.signal);
      metrics.silence_ms = since(silenceStarted);
      if (got.kind === 'datagram') {
        note(`< ${got.bytes.length} bytes ${showBytes(got.bytes, UDP_LIMITS.maxTranscriptLineBytes)}`);
        note('! expected no reply');
        return result('CRITICAL', 'reply', `replied ${showBytes(got.bytes, UDP_LIMITS.maxMessageBytes)}, expected no reply`);
      }
      // ICMP port-unreachable is silence from the application's side: nothing listens.
      if (got.kind === 'port_unreachable') return result('OK', 'port_unreachable', 'port unreachable (ICMP), no reply as expected');
      if (got.kind !== 'timeout' && got.kind !== 'aborted') return stopped(got, 0);
      return result('OK', 'no_reply', `no reply within ${metrics.silence_ms.toFixed(0)} ms, as expected`);
    }
    const rtt = metrics.rtt_ms === undefined ? '' : ` in ${metrics.rtt_ms.toFixed(1)} ms`;
    return result('OK', 'ok', `${round} round${round === 1 ? '' : 's'} matched${rtt}`);
  } finally {
    socket.close();
  }
}

/** What {@link run} can emit: a time per round that expects a reply, the silence waited, drops. */
function metrics(config: UdpConfig): string[] {
  const names = new Set(['dropped_datagrams']);
  let round = 0;
  for (const step of config.steps) {
    if (step.kind === 'send') round += 1;
    else names.add(`round${round}_ms`).add('rtt_ms');
  }
  if (config.expect_no_reply) names.add('silence_ms');
  return [...names];
}

/**
 * UDP send/expect check over a connected socket: replies that match, silence
 * (`no_reply`), closed ports (`port_unreachable` from ICMP) and wrong replies (`mismatch`).
 *
 * @example
 * udpCheck.run(udpCheck.schema.parse({ target: '127.0.0.1:7', send: 'ping\\n', expect: '^ping' }), { signal, timeoutMs: 5000 });
 */
export const udpCheck: CheckType<UdpConfig> = {
  type: 'udp',
  schema: udpSchema,
  describe: (config) => formatHostPort(config.target),
  metrics,
  run,
};
