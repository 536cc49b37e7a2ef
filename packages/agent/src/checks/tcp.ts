import { connect } from 'node:net';
import { z } from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { formatHostPort, parseHostPort, type HostPort } from './target.js';

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

/**
 * Try one TCP connect. Never rejects: refusal, silence (abort) and routing errors are
 * outcomes. An open port is closed again with a RST so no TIME_WAIT is left behind.
 */
export function probeTcp(target: HostPort, signal: AbortSignal): Promise<ConnectOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (signal.aborted) return Promise.resolve({ state: 'filtered', elapsedMs: 0 });
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const finish = (outcome: ConnectOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      if (outcome.state === 'open' && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ state: 'filtered', elapsedMs: elapsed() });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      // Loopback quirk: a connect to a free port in the ephemeral range can pick that same
      // port as its source and "succeed" by connecting to itself (TCP simultaneous open).
      const selfConnect = socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
      finish({ state: selfConnect ? 'closed' : 'open', elapsedMs: elapsed() });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'UNKNOWN';
      finish({ state: ERROR_STATES[code] ?? 'error', elapsedMs: elapsed(), errorCode: code });
    });
  });
}

const hostPort = z.string().transform((text, ctx) => {
  const parsed = parseHostPort(text);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port" with a port in 1-65535, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return parsed;
});

export const tcpSchema = z
  .object({
    target: hostPort,
    expect: z.enum(['open', 'closed']).default('open'),
  })
  .strict();

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

/** TCP connect check: open, closed (refused) or filtered (no answer before the timeout). */
export const tcpCheck: CheckType<TcpConfig> = {
  type: 'tcp',
  schema: tcpSchema,
  describe: (config) => formatHostPort(config.target),
  run,
};
