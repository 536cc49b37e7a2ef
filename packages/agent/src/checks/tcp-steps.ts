import { isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { formatDuration } from '../duration.js';
import type { CheckContext, Observation, StatusName } from './check.js';
import type { ConnectOutcome, PortState } from './tcp.js';
import { formatHostPort, type HostPort } from './target.js';
import { Session, Transcript } from './tcp-session.js';
import { escapeBytes } from './bytes-text.js';
import type { ConversationStep } from './tcp-steps-schema.js';

export { conversationMetrics, conversationStepsSchema, type ConversationStep } from './tcp-steps-schema.js';

/** TLS settings for implicit TLS (`tls: true`) and for a `starttls` step. */
export interface TlsStart {
  /** SNI and the name checked when verifying; default the target host when it is a name. */
  servername?: string;
  /** Verify the certificate chain and name. Off by default: we monitor, we do not trust. */
  verify: boolean;
}

/** What to talk about and with whom. */
export interface Conversation {
  target: HostPort;
  steps: ConversationStep[];
  /** Start TLS right after connect (implicit TLS, e.g. SMTPS on 465). */
  tls?: TlsStart;
}

export interface ConversationOptions {
  /** Most bytes one step holds while waiting for its match; beyond it the step fails as mismatch. Default 64 KiB. */
  maxReceiveBytes?: number;
  /** Most bytes of transcript kept for a failed conversation. Default 4096. */
  maxTranscriptBytes?: number;
}

/** Opens the TCP connection; injected so this module does not depend on `tcp.ts` at runtime. */
export type OpenTcp = (target: HostPort, signal: AbortSignal) => Promise<{ outcome: ConnectOutcome; socket?: Socket }>;

export const DEFAULT_MAX_RECEIVE_BYTES = 64 * 1024;
export const DEFAULT_MAX_TRANSCRIPT_BYTES = 4096;

/** Why a step failed: the observation word and "expected ..., got ..." for a person. */
interface Failure {
  observation: 'mismatch' | 'timeout' | 'closed_early' | 'unexpected_data' | 'tls_failed';
  detail: string;
}

interface StepRun {
  session: Session;
  signal: AbortSignal;
  deadline: number;
  /** Says how long the step was allowed, for messages: `within 2s`. */
  within: string;
  captures: Map<string, string>;
  target: HostPort;
  maxReceiveBytes: number;
  metrics: Record<string, number>;
}

const CONNECT_FAILURES: Record<Exclude<PortState, 'open'>, [StatusName, string, string]> = {
  closed: ['CRITICAL', 'refused', 'connection refused'],
  filtered: ['CRITICAL', 'filtered', 'no answer'],
  unreachable: ['CRITICAL', 'unreachable', 'unreachable'],
  resolve_failed: ['UNKNOWN', 'resolve_failed', 'name does not resolve'],
  error: ['UNKNOWN', 'error', 'connect error'],
};

const round3 = (ms: number) => Number(ms.toFixed(3));

function got(session: Session): string {
  return session.pending.length > 0 ? `got "${escapeBytes(session.pending, 80)}"` : 'got nothing';
}

function timedOut(run: StepRun): boolean {
  return run.signal.aborted || performance.now() >= run.deadline;
}

async function send(step: ConversationStep & { action: 'send' }, run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  if (session.ended) return { observation: 'closed_early', detail: 'the server closed the connection before this send' };
  const bytes = Buffer.concat(
    step.parts.map((part) => ('bytes' in part ? part.bytes : Buffer.from(run.captures.get(part.capture) ?? '', 'latin1'))),
  );
  session.transcript.addBytes('>', bytes);
  if (bytes.length === 0) return undefined;
  let done = false;
  let failed: NodeJS.ErrnoException | undefined;
  session.socket.write(bytes, (err) => {
    done = true;
    failed = err ?? undefined;
    session.wakeUp();
  });
  while (!done) {
    if (timedOut(run)) return { observation: 'timeout', detail: `the server did not take ${bytes.length} bytes ${run.within}` };
    await session.wait(run.deadline, run.signal);
  }
  if (failed) return { observation: 'closed_early', detail: `send failed: ${failed.code ?? failed.message}` };
  session.bytesSent += bytes.length;
  return undefined;
}

async function expectRegex(step: ConversationStep & { action: 'expect' }, run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  const regex = new RegExp(step.pattern, step.flags);
  const expected = `expected /${step.pattern}/${step.flags}`;
  for (;;) {
    const match = regex.exec(session.pending.toString('latin1'));
    if (match) {
      for (const [name, value] of Object.entries(match.groups ?? {})) run.captures.set(name, value ?? '');
      // The match takes everything received so far, like check_tcp and Pandora: a later
      // step never re-matches the tail of this reply.
      session.takeAll();
      return undefined;
    }
    const some = session.pending.length > 0;
    if (session.overflow) {
      return { observation: 'mismatch', detail: `${expected} within max_receive_bytes ${run.maxReceiveBytes}, ${got(session)}` };
    }
    if (session.ended) return { observation: some ? 'mismatch' : 'closed_early', detail: `${expected}, ${got(session)} before the server closed` };
    if (timedOut(run)) return { observation: some ? 'mismatch' : 'timeout', detail: `${expected}, ${got(session)} ${run.within}` };
    await session.wait(run.deadline, run.signal);
  }
}

async function expectBytes(step: ConversationStep & { action: 'expect_bytes' }, run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  const want = step.bytes;
  const expected = `expected bytes ${want.toString('hex')}`;
  for (;;) {
    const have = session.pending.subarray(0, want.length);
    if (!have.equals(want.subarray(0, have.length))) {
      return { observation: 'mismatch', detail: `${expected}, got ${have.toString('hex')} ("${escapeBytes(have, 80)}")` };
    }
    if (have.length === want.length) {
      // Binary protocols frame by length: keep what follows for the next step.
      session.take(want.length);
      return undefined;
    }
    const partial = `got ${have.length} of ${want.length} bytes`;
    if (session.ended) return { observation: 'closed_early', detail: `${expected}, ${partial} before the server closed` };
    if (timedOut(run)) return { observation: 'timeout', detail: `${expected}, ${partial} ${run.within}` };
    await session.wait(run.deadline, run.signal);
  }
}

async function expectClose(run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  for (;;) {
    // Anything said on the way out (a goodbye line) is fine; keep the buffer empty.
    session.takeAll();
    if (session.ended) return undefined;
    if (timedOut(run)) return { observation: 'timeout', detail: `expected the server to close the connection, it stayed open ${run.within}` };
    await session.wait(run.deadline, run.signal);
  }
}

async function expectSilence(step: ConversationStep & { action: 'expect_silence' }, run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  const until = performance.now() + step.silenceMs;
  const expected = `expected silence for ${formatDuration(step.silenceMs)}`;
  for (;;) {
    if (session.pending.length > 0) return { observation: 'unexpected_data', detail: `${expected}, ${got(session)}` };
    if (session.ended) return { observation: 'closed_early', detail: `${expected}, the server closed the connection` };
    if (performance.now() >= until) return undefined;
    if (run.signal.aborted) return { observation: 'timeout', detail: `${expected}, the check timeout came first` };
    await session.wait(until, run.signal);
  }
}

/** Upgrade the live socket to TLS (STARTTLS, or implicit TLS before the first step). */
async function startTls(options: TlsStart, run: StepRun): Promise<Failure | undefined> {
  const { session } = run;
  if (session.pending.length > 0) {
    // Plaintext that arrives before the handshake could be injected by anyone on the path
    // (the classic STARTTLS command-injection bug), so it is a failure, not noise.
    return { observation: 'unexpected_data', detail: `expected nothing before the TLS handshake, ${got(session)}` };
  }
  if (session.ended) return { observation: 'closed_early', detail: 'the server closed the connection before the TLS handshake' };
  const started = performance.now();
  const servername = options.servername ?? (isIP(run.target.host) === 0 ? run.target.host : undefined);
  const secure = connectTls({
    socket: session.release(),
    host: run.target.host,
    rejectUnauthorized: options.verify,
    ...(servername === undefined ? {} : { servername }),
  });
  // Keeps a second error (after the first ended the handshake) from becoming an uncaught one.
  secure.on('error', () => {});
  const outcome = await new Promise<Error | 'ok' | 'timeout'>((resolve) => {
    const finish = (value: Error | 'ok' | 'timeout') => {
      secure.off('secureConnect', onSecure).off('error', finish).off('close', onClose);
      if (timer !== undefined) clearTimeout(timer);
      run.signal.removeEventListener('abort', onTimeout);
      resolve(value);
    };
    const onSecure = () => finish('ok');
    const onClose = () => finish(new Error('connection closed during the handshake'));
    const onTimeout = () => finish('timeout');
    const timer = Number.isFinite(run.deadline) ? setTimeout(onTimeout, Math.max(0, run.deadline - performance.now())) : undefined;
    secure.once('secureConnect', onSecure).once('error', finish).once('close', onClose);
    run.signal.addEventListener('abort', onTimeout, { once: true });
    if (run.signal.aborted) onTimeout();
  });
  session.adopt(secure);
  if (outcome === 'timeout') return { observation: 'timeout', detail: `expected a TLS handshake, got no answer ${run.within}` };
  if (outcome !== 'ok') {
    const code = (outcome as NodeJS.ErrnoException).code;
    return { observation: 'tls_failed', detail: `TLS handshake failed: ${code ? `${code} ` : ''}${outcome.message}` };
  }
  run.metrics['tls_handshake_ms'] = round3(performance.now() - started);
  const cipher = (secure as TLSSocket).getCipher();
  session.transcript.add('*', `TLS ${secure.getProtocol() ?? '?'} ${cipher.name}${options.verify ? ', certificate verified' : ''}`);
  return undefined;
}

function runStep(step: ConversationStep, run: StepRun): Promise<Failure | undefined> {
  switch (step.action) {
    case 'send':
      return send(step, run);
    case 'expect':
      return expectRegex(step, run);
    case 'expect_bytes':
      return expectBytes(step, run);
    case 'expect_close':
      return expectClose(run);
    case 'expect_silence':
      return expectSilence(step, run);
    case 'starttls':
      return startTls(step, run);
  }
}

/**
 * Connect and run the steps in order over one connection. Never rejects for network
 * outcomes: refusal, silence, mismatch, early close and TLS failure are observations, with a
 * bounded transcript on failure. Steps are counted from 1 in messages and metrics.
 *
 * @example
 * const steps = conversationStepsSchema.parse([{ expect: '^220' }, { send: 'QUIT\r\n' }, { expect_close: true }]);
 * const observation = await runConversation({ target: { host: '127.0.0.1', port: 25 }, steps }, context, openTcp);
 */
export async function runConversation(
  conversation: Conversation,
  context: CheckContext,
  open: OpenTcp,
  options: ConversationOptions = {},
): Promise<Observation> {
  const maxReceiveBytes = options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const where = formatHostPort(conversation.target);
  const started = performance.now();
  const { outcome, socket } = await open(conversation.target, context.signal);
  const metrics: Record<string, number> = { connect_ms: round3(outcome.elapsedMs) };
  if (outcome.state !== 'open' || socket === undefined) {
    const [status, observation, detail] = CONNECT_FAILURES[outcome.state === 'open' ? 'error' : outcome.state];
    const took = outcome.state === 'filtered' ? `within ${context.timeoutMs} ms` : `in ${outcome.elapsedMs.toFixed(1)} ms`;
    const code = outcome.errorCode && outcome.state === 'error' ? ` ${outcome.errorCode}` : '';
    return { status, observation, message: `${where} ${detail}${code} ${took}, before step 1`, metrics };
  }

  const transcript = new Transcript(options.maxTranscriptBytes ?? DEFAULT_MAX_TRANSCRIPT_BYTES);
  transcript.add('*', `connected to ${where} in ${outcome.elapsedMs.toFixed(1)} ms`);
  const session = new Session(socket, maxReceiveBytes, transcript);
  const captures = new Map<string, string>();
  const stepRun = (timeoutMs: number | undefined): StepRun => ({
    session,
    signal: context.signal,
    deadline: timeoutMs === undefined ? Infinity : performance.now() + timeoutMs,
    within: timeoutMs === undefined ? `within the check timeout (${context.timeoutMs} ms)` : `within ${formatDuration(timeoutMs)}`,
    captures,
    target: conversation.target,
    maxReceiveBytes,
    metrics,
  });

  let failed: { where: string; failure: Failure } | undefined;
  try {
    if (conversation.tls) {
      const failure = await startTls(conversation.tls, stepRun(undefined));
      if (failure) failed = { where: 'implicit TLS', failure };
    }
    const total = conversation.steps.length;
    for (const [index, step] of conversation.steps.entries()) {
      if (failed) break;
      const stepStarted = performance.now();
      const failure = await runStep(step, stepRun(step.timeoutMs));
      if (failure) failed = { where: `step ${index + 1} of ${total} (${step.label})`, failure };
      else metrics[`step${index + 1}_ms`] = round3(performance.now() - stepStarted);
    }
  } finally {
    session.close();
  }
  metrics['total_ms'] = round3(performance.now() - started);
  metrics['bytes_received'] = session.bytesReceived;
  metrics['bytes_sent'] = session.bytesSent;

  if (failed) {
    const { observation, detail } = failed.failure;
    return {
      status: 'CRITICAL',
      observation,
      message: `${where} ${failed.where} failed: ${detail}`,
      metrics,
      transcript: transcript.encode(`${failed.where}: ${detail}`),
    };
  }
  const steps = conversation.steps.length;
  const rounds = conversation.steps.filter((step) => step.action.startsWith('expect')).length;
  const tls = metrics['tls_handshake_ms'] === undefined ? '' : ' (TLS)';
  return {
    status: 'OK',
    observation: 'ok',
    message: `${where} conversation completed${tls}: ${steps} steps, ${rounds} rounds in ${metrics['total_ms']!.toFixed(1)} ms`,
    metrics,
  };
}
