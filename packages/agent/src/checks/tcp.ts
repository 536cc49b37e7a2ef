import { connect, type Socket } from 'node:net';
import * as z from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { PandoraImportError, pandoraToSteps, type PandoraTcpFields } from './pandora.js';
import { formatHostPort, hostPortField, type HostPort } from './target.js';
import {
  conversationMetrics,
  conversationStepsSchema,
  DEFAULT_MAX_RECEIVE_BYTES,
  DEFAULT_MAX_TRANSCRIPT_BYTES,
  runConversation,
  type Conversation,
  type ConversationStep,
} from './tcp-steps.js';

/** What a TCP connect attempt found. */
export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable' | 'resolve_failed' | 'error';

export interface ConnectOutcome {
  state: PortState;
  /** Time from the connect call to the answer (or to giving up). */
  elapsedMs: number;
  /** The OS error code, when there was one. */
  errorCode?: string;
}

const ERROR_STATES: Record<string, PortState> = {
  ECONNREFUSED: 'closed',
  ECONNRESET: 'closed',
  ETIMEDOUT: 'filtered',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENOTFOUND: 'resolve_failed',
  EAI_AGAIN: 'resolve_failed',
  EAI_NONAME: 'resolve_failed',
};

/** A connect outcome, plus the live socket when the port was open. */
export interface OpenedTcp {
  outcome: ConnectOutcome;
  /** Only for `open`; the caller owns it (and must destroy it). */
  socket?: Socket;
}

/**
 * Open one TCP connection and hand over the socket. Never rejects: refusal, silence (abort)
 * and routing errors are outcomes without a socket.
 */
export function openTcp(target: HostPort, signal: AbortSignal): Promise<OpenedTcp> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (signal.aborted) return Promise.resolve({ outcome: { state: 'filtered', elapsedMs: 0 } });
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const finish = (outcome: ConnectOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect).off('error', onError);
      // A late error on a socket nobody listens to would otherwise crash the agent.
      socket.on('error', () => {});
      if (outcome.state === 'open' && !socket.destroyed) return resolve({ outcome, socket });
      socket.destroy();
      resolve({ outcome });
    };
    const onAbort = () => finish({ state: 'filtered', elapsedMs: elapsed() });
    const onConnect = () => {
      // Loopback quirk: a connect to a free port in the ephemeral range can pick that same
      // port as its source and "succeed" by connecting to itself (TCP simultaneous open).
      const selfConnect = socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
      finish({ state: selfConnect ? 'closed' : 'open', elapsedMs: elapsed() });
    };
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'UNKNOWN';
      finish({ state: ERROR_STATES[code] ?? 'error', elapsedMs: elapsed(), errorCode: code });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/**
 * Try one TCP connect. Never rejects: refusal, silence (abort) and routing errors are
 * outcomes. An open port is closed again with a RST so no TIME_WAIT is left behind.
 */
export async function probeTcp(target: HostPort, signal: AbortSignal): Promise<ConnectOutcome> {
  const { outcome, socket } = await openTcp(target, signal);
  socket?.resetAndDestroy();
  return outcome;
}

const tlsStart = z.union(
  [z.boolean(), z.object({ servername: z.string().min(1).optional(), verify: z.boolean().default(false) }).strict()],
  { error: 'expected true, false or { servername?, verify? }' },
);

const tcpFields = z
  .object({
    target: hostPortField(),
    expect: z.enum(['open', 'closed']).optional(),
    steps: conversationStepsSchema.optional(),
    pandora: z.object({ tcp_send: z.string().default(''), tcp_rcv: z.string().default('') }).strict().optional(),
    tls: tlsStart.optional(),
    max_receive_bytes: z.number().int().min(256).max(16 * 1024 * 1024).optional(),
    max_transcript_bytes: z.number().int().min(256).max(1024 * 1024).optional(),
  })
  .strict();

/** The plain connect form: is the port open (or closed, when closed is the policy)? */
export interface TcpConnectConfig {
  target: HostPort;
  expect: 'open' | 'closed';
}

/** The conversation form: steps over one connection, optionally inside TLS. */
export interface TcpConversationConfig extends Conversation {
  max_receive_bytes: number;
  max_transcript_bytes: number;
}

/** Translate the `pandora` fields, reporting problems against the `pandora` key. */
function importPandora(fields: PandoraTcpFields, ctx: z.RefinementCtx): ConversationStep[] | undefined {
  try {
    const parsed = conversationStepsSchema.safeParse(pandoraToSteps(fields));
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', path: ['pandora'], message: `tcp_send/tcp_rcv translate to an invalid ${issue.message}` });
    }
  } catch (err: unknown) {
    if (!(err instanceof PandoraImportError)) throw err;
    ctx.addIssue({ code: 'custom', path: ['pandora'], message: err.message });
  }
  return undefined;
}

/**
 * Config for `type: tcp`. Without `steps`, `pandora` or `tls` it is the plain connect check
 * (`expect: open | closed`, default open); with them it is a conversation.
 *
 * @example
 * tcpSchema.parse({ target: '127.0.0.1:22' });
 * tcpSchema.parse({ target: 'mail:25', steps: [{ expect: '^220' }, { send: 'QUIT\\r\\n' }, { expect: '^221' }] });
 * tcpSchema.parse({ target: 'ssh:22', pandora: { tcp_send: '|none^M', tcp_rcv: 'SSH-2.0|Protocol mismatch' } });
 */
export const tcpSchema = tcpFields.transform((input, ctx): TcpConnectConfig | TcpConversationConfig => {
  const { target, expect, steps, pandora, tls, max_receive_bytes, max_transcript_bytes } = input;
  let valid = true;
  const problem = (path: string, message: string) => {
    ctx.addIssue({ code: 'custom', path: [path], message });
    valid = false;
  };
  if (steps === undefined && pandora === undefined && (tls === undefined || tls === false)) {
    if (max_receive_bytes !== undefined) problem('max_receive_bytes', 'applies only to a conversation (steps, pandora or tls)');
    if (max_transcript_bytes !== undefined) problem('max_transcript_bytes', 'applies only to a conversation (steps, pandora or tls)');
    return valid ? { target, expect: expect ?? 'open' } : z.NEVER;
  }
  if (expect !== undefined) {
    problem('expect', `expect: ${expect} is for the plain connect form; a conversation checks replies with { expect: "regex" } steps`);
  }
  if (steps !== undefined && pandora !== undefined) problem('pandora', 'use either steps or pandora, not both');
  const imported = pandora === undefined ? (steps ?? []) : importPandora(pandora, ctx);
  if (!valid || imported === undefined) return z.NEVER;
  return {
    target,
    steps: imported,
    ...(tls === undefined || tls === false ? {} : { tls: tls === true ? { verify: false } : tls }),
    max_receive_bytes: max_receive_bytes ?? DEFAULT_MAX_RECEIVE_BYTES,
    max_transcript_bytes: max_transcript_bytes ?? DEFAULT_MAX_TRANSCRIPT_BYTES,
  };
});

export type TcpConfig = z.output<typeof tcpSchema>;

const DETAIL: Record<PortState, string> = {
  open: 'open',
  closed: 'closed (connection refused)',
  filtered: 'filtered (no answer)',
  unreachable: 'unreachable',
  resolve_failed: 'name does not resolve',
  error: 'connect error',
};

function statusFor(state: PortState, expect: 'open' | 'closed'): StatusName {
  if (state === 'resolve_failed' || state === 'error') return 'UNKNOWN';
  const isOpen = state === 'open';
  return isOpen === (expect === 'open') ? 'OK' : 'CRITICAL';
}

async function run(config: TcpConfig, context: CheckContext): Promise<Observation> {
  if ('steps' in config) {
    const limits = { maxReceiveBytes: config.max_receive_bytes, maxTranscriptBytes: config.max_transcript_bytes };
    return runConversation(config, context, openTcp, limits);
  }
  const outcome = await probeTcp(config.target, context.signal);
  const where = formatHostPort(config.target);
  const took = outcome.state === 'filtered' ? `within ${context.timeoutMs} ms` : `in ${outcome.elapsedMs.toFixed(1)} ms`;
  const code = outcome.errorCode && outcome.state === 'error' ? ` ${outcome.errorCode}` : '';
  const status = statusFor(outcome.state, config.expect);
  const expectation = status === 'CRITICAL' ? `, expected ${config.expect}` : '';
  return {
    status,
    observation: outcome.state,
    message: `${where} ${DETAIL[outcome.state]}${code} ${took}${expectation}`,
    metrics: { connect_ms: Number(outcome.elapsedMs.toFixed(3)) },
  };
}

/**
 * TCP check: connect (open, closed = refused, filtered = no answer before the timeout), or
 * a conversation of send/expect steps over the connection (see `tcp-steps.ts`).
 */
export const tcpCheck: CheckType<TcpConfig> = {
  type: 'tcp',
  schema: tcpSchema,
  describe: (config) => formatHostPort(config.target),
  metrics: (config) => ('steps' in config ? conversationMetrics(config) : ['connect_ms']),
  run,
};
