import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { HostPort } from './target.js';

// net-snmp ships no type declarations (and @types/net-snmp is not installed), so the few
// parts used here are typed locally and the CommonJS module is loaded with require.
interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}
interface RawSession {
  get(oids: string[], callback: (error: Error | null, varbinds?: RawVarbind[]) => void): void;
  close(): void;
  on(event: 'error', listener: (error: unknown) => void): void;
}
interface NetSnmp {
  Version1: number;
  Version2c: number;
  ObjectType: Record<string, number>;
  ErrorStatus: Record<string, number>;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  ResponseInvalidCode: Record<string, number>;
  createSession(target: string, community: string, options: object): RawSession;
  createV3Session(target: string, user: object, options: object): RawSession;
  isVarbindError(varbind: RawVarbind): boolean;
}
let loaded: NetSnmp | undefined;
/** net-snmp (~200 KB of source the heap keeps) loads with the first SNMP check, not with every agent. */
function netSnmp(): NetSnmp {
  return (loaded ??= createRequire(import.meta.url)('net-snmp') as NetSnmp);
}

export type SnmpVersion = '1' | '2c' | '3';
export type SnmpLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
export const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;

/** Who to ask and with which credentials. Secrets stay in here; nothing below logs them. */
export interface SnmpSessionOptions {
  target: HostPort;
  version: SnmpVersion;
  community: string;
  user?: string;
  level: SnmpLevel;
  authProtocol?: (typeof AUTH_PROTOCOLS)[number];
  authKey?: string;
  privProtocol?: (typeof PRIV_PROTOCOLS)[number];
  privKey?: string;
  context?: string;
  /** Re-sends after a silent attempt. */
  retries: number;
  /** Total time for all attempts; each attempt gets an equal share. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** One answered OID: a number, text, or "the agent has no such object". */
export type SnmpValue = { kind: 'number'; value: number } | { kind: 'text'; value: string } | { kind: 'missing'; reason: string };

export type SnmpGetOutcome =
  | { outcome: 'answered'; values: SnmpValue[]; elapsedMs: number }
  | { outcome: 'no_such_object'; oid: string; elapsedMs: number }
  | { outcome: 'auth_failed' | 'error'; detail: string; elapsedMs: number }
  | { outcome: 'timeout'; elapsedMs: number };

const NUMERIC_TYPE_NAMES = ['Integer', 'Counter', 'Gauge', 'TimeTicks', 'Integer32', 'Counter32', 'Gauge32', 'Unsigned32'];
// Text limit per value: enough for any sysDescr, bounded against a hostile agent.
const MAX_TEXT_CHARS = 1024;

function valueOf(varbind: RawVarbind): SnmpValue {
  const { ObjectType, isVarbindError } = netSnmp();
  if (isVarbindError(varbind)) {
    const reason = Object.keys(ObjectType).find((name) => ObjectType[name] === varbind.type) ?? 'error';
    return { kind: 'missing', reason };
  }
  const { type, value } = varbind;
  if (NUMERIC_TYPE_NAMES.some((name) => ObjectType[name] === type) && typeof value === 'number') return { kind: 'number', value };
  // Counter64 arrives as a big-endian Buffer; beyond 2^53 the metric loses precision only.
  if (type === ObjectType.Counter64 && Buffer.isBuffer(value)) {
    return { kind: 'number', value: Number(value.length === 0 ? 0n : BigInt(`0x${value.toString('hex')}`)) };
  }
  if (Buffer.isBuffer(value)) {
    const text = type === ObjectType.Opaque ? value.toString('hex') : value.toString('utf8');
    return { kind: 'text', value: text.slice(0, MAX_TEXT_CHARS) };
  }
  return { kind: 'text', value: String(value).slice(0, MAX_TEXT_CHARS) };
}

function openSession(options: SnmpSessionOptions, attemptMs: number): RawSession {
  const snmp = netSnmp();
  const common = {
    port: options.target.port,
    retries: options.retries,
    timeout: attemptMs,
    transport: isIP(options.target.host) === 6 ? 'udp6' : 'udp4',
  };
  if (options.version !== '3') {
    const version = options.version === '1' ? snmp.Version1 : snmp.Version2c;
    return snmp.createSession(options.target.host, options.community, { ...common, version });
  }
  const user = {
    name: options.user,
    level: snmp.SecurityLevel[options.level],
    ...(options.level !== 'noAuthNoPriv' && { authProtocol: snmp.AuthProtocols[options.authProtocol!], authKey: options.authKey }),
    ...(options.level === 'authPriv' && { privProtocol: snmp.PrivProtocols[options.privProtocol!], privKey: options.privKey }),
  };
  return snmp.createV3Session(options.target.host, user, { ...common, context: options.context ?? '' });
}

// net-snmp's own texts may quote the community or digests, so failures are described from
// error codes and a fixed list of safe phrases only.
const USM_REPORTS = ['Unsupported Security Level', 'Not In Time Window', 'Unknown User Name', 'Unknown Engine ID', 'Wrong Digest', 'Decryption Error'];

function failureOf(error: Error & { code?: unknown; status?: unknown }, oids: string[], elapsedMs: number): SnmpGetOutcome {
  const { ResponseInvalidCode: codes, ErrorStatus } = netSnmp();
  if (error.name === 'RequestTimedOutError') return { outcome: 'timeout', elapsedMs };
  if (error.name === 'ResponseInvalidError' && (error.code === codes.EAuthFailure || error.code === codes.ECouldNotDecrypt)) {
    const report = USM_REPORTS.find((phrase) => error.message.startsWith(phrase));
    const detail = report ?? (error.code === codes.ECouldNotDecrypt ? 'response could not be decrypted' : 'response failed authentication');
    return { outcome: 'auth_failed', detail, elapsedMs };
  }
  if (error.name === 'RequestFailedError') {
    // SNMPv1 fails the whole request, naming the OID after the status word.
    const oid = oids.find((candidate) => error.message.endsWith(`: ${candidate}`)) ?? oids[0]!;
    if (error.status === ErrorStatus.NoSuchName) return { outcome: 'no_such_object', oid, elapsedMs };
    const statusName = Object.keys(ErrorStatus).find((name) => ErrorStatus[name] === error.status) ?? 'GeneralError';
    // VACM refusals: the credentials work but do not grant this view or security level.
    if (statusName === 'AuthorizationError' || statusName === 'NoAccess') return { outcome: 'auth_failed', detail: `agent refused access (${statusName}) for ${oid}`, elapsedMs };
    return { outcome: 'error', detail: `agent answered ${statusName} for ${oid}`, elapsedMs };
  }
  if (error.name === 'ResponseInvalidError') return { outcome: 'error', detail: `invalid response (net-snmp code ${String(error.code)})`, elapsedMs };
  const code = (error as NodeJS.ErrnoException).code;
  return { outcome: 'error', detail: typeof code === 'string' ? `socket error ${code}` : error.name, elapsedMs };
}

/**
 * One SNMP GET for a list of OIDs. Never rejects: silence, authentication failures,
 * missing objects and abort are outcomes. The session is closed on every path.
 */
export function snmpGet(options: SnmpSessionOptions, oids: string[]): Promise<SnmpGetOutcome> {
  const started = performance.now();
  const elapsedMs = () => Number((performance.now() - started).toFixed(3));
  if (options.signal.aborted) return Promise.resolve({ outcome: 'timeout', elapsedMs: 0 });
  // A 10% margin lets net-snmp's own timeout fire before the scheduler aborts us.
  const attemptMs = Math.max(50, Math.floor((options.timeoutMs * 0.9) / (options.retries + 1)));
  return new Promise((resolve) => {
    let session: RawSession | undefined;
    let settled = false;
    const finish = (outcome: SnmpGetOutcome) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      try {
        session?.close();
      } catch {
        // the socket was already closed
      }
      resolve(outcome);
    };
    const onAbort = () => finish({ outcome: 'timeout', elapsedMs: elapsedMs() });
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      session = openSession(options, attemptMs);
      // Undecodable datagrams are emitted as 'error'; without a listener they would throw.
      session.on('error', (error: unknown) => finish(failureOf(error instanceof Error ? error : new Error('session error'), oids, elapsedMs())));
      session.get(oids, (error, varbinds) => {
        if (error) return finish(failureOf(error, oids, elapsedMs()));
        finish({ outcome: 'answered', values: (varbinds ?? []).map(valueOf), elapsedMs: elapsedMs() });
      });
    } catch (error: unknown) {
      finish({ outcome: 'error', detail: `cannot start the SNMP request: ${error instanceof Error ? error.name : 'unknown error'}`, elapsedMs: elapsedMs() });
    }
  });
}
