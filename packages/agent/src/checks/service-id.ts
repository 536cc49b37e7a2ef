import { connect as tlsConnect } from 'node:tls';
import { escapeBytes } from './bytes-text.js';
import { readAnswer } from './exposure-banner.js';

/** What answered on a port, and the bytes that say so. */
export interface ServiceGuess {
  /** nmap-style name: http, ssl, ssh, smtp, ftp, mysql, postgresql, redis, ms-wbt-server, modbus, pop3, imap; `unknown` when nothing matched. */
  service: string;
  /** How it was learned: the greeting it sent (`banner`) or the probe it answered. */
  probe: 'banner' | 'http' | 'tls' | 'redis' | 'postgresql' | 'rdp' | 'modbus' | 'none';
  /** The first bytes it sent, escaped to one printable line (at most `maxBytes` of them). */
  evidence: string;
}

export interface ServiceIdOptions {
  /** Per connection: handshake plus waiting for the answer. */
  timeoutMs?: number;
  /** Read at most this many bytes per answer. */
  maxBytes?: number;
}

interface Probe {
  name: Exclude<ServiceGuess['probe'], 'banner' | 'none'>;
  /** Ports where this probe goes first (the service's usual home). */
  ports: readonly number[];
  payload: Buffer;
  match: (reply: Buffer) => string | undefined;
}

const DEFAULTS = { timeoutMs: 400, maxBytes: 256 };
const QUIET_AFTER_DATA_MS = 40;

// Each probe is one short, well-formed request that a server of that kind answers without
// changing anything: no logins, no writes, nothing past the first exchange.
const PROBES: readonly Probe[] = [
  { name: 'http', ports: [80, 8000, 8008, 8080], payload: Buffer.from('HEAD / HTTP/1.0\r\nUser-Agent: outpost-service-id\r\n\r\n'), match: (r) => matchGreeting(r) },
  { name: 'tls', ports: [443, 465, 636, 993, 995, 8443], payload: Buffer.alloc(0), match: () => undefined },
  { name: 'redis', ports: [6379], payload: Buffer.from('PING\r\n'), match: (r) => (/^(\+PONG|-NOAUTH|-ERR)/.test(r.toString('latin1')) ? 'redis' : undefined) },
  // SSLRequest: a PostgreSQL server answers one byte, S or N, before any login.
  { name: 'postgresql', ports: [5432], payload: Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]), match: (r) => (r.length === 1 && (r[0] === 0x53 || r[0] === 0x4e) ? 'postgresql' : undefined) },
  // X.224 Connection Request in TPKT with an RDP negotiation request (MS-RDPBCGR 2.2.1.1).
  {
    name: 'rdp', ports: [3389],
    payload: Buffer.from('0300001326e00000000000010008000b000000', 'hex'),
    match: (r) => (r.length >= 11 && r[0] === 0x03 && r[1] === 0x00 && (r[5]! & 0xf0) === 0xd0 ? 'ms-wbt-server' : undefined),
  },
  // Modbus/TCP Read Device Identification (function 0x2B, MEI 0x0E): a read, answered or refused.
  {
    name: 'modbus', ports: [502],
    payload: Buffer.from('4f5400000005002b0e0100', 'hex'),
    match: (r) => (r.length >= 8 && r[0] === 0x4f && r[1] === 0x54 && r[2] === 0 && r[3] === 0 && (r[7] === 0x2b || r[7] === 0xab) ? 'modbus' : undefined),
  },
];

/** Services that speak first, told apart by their greeting. */
function matchGreeting(reply: Buffer): string | undefined {
  const text = reply.toString('latin1');
  if (text.startsWith('SSH-')) return 'ssh';
  if (text.startsWith('HTTP/')) return 'http';
  if (/^220[ -]/.test(text)) return /ftp/i.test(text) && !/smtp/i.test(text) ? 'ftp' : 'smtp';
  if (text.startsWith('+OK')) return 'pop3';
  if (text.startsWith('* OK')) return 'imap';
  if (text.startsWith('-ERR') || text.startsWith('-NOAUTH') || text.startsWith('-DENIED')) return 'redis';
  // MySQL's initial handshake: 3-byte length, sequence 0, protocol version 10, a version string.
  if (reply.length > 5 && reply.readUIntLE(0, 3) === reply.length - 4 && reply[3] === 0 && reply[4] === 0x0a) return 'mysql';
  // A TLS alert or handshake record where a plaintext answer was expected.
  if (reply.length >= 3 && (reply[0] === 0x15 || reply[0] === 0x16) && reply[1] === 0x03) return 'ssl';
  return undefined;
}

/** Send `payload` (nothing: just listen) and read the answer, bounded in bytes and time. */
function exchange(address: string, port: number, payload: Buffer, options: Required<ServiceIdOptions>, signal: AbortSignal): Promise<Buffer | undefined> {
  return readAnswer({ address, port }, payload, { maxBytes: options.maxBytes, waitMs: options.timeoutMs, quietMs: QUIET_AFTER_DATA_MS }, signal);
}

/** A TLS handshake (ClientHello, no verification: only whether it is TLS); resolves the protocol or undefined. */
function tlsHandshake(address: string, port: number, options: Required<ServiceIdOptions>, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: address, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const finish = (value: string | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(value);
    };
    const abort = () => finish(undefined);
    const timer = setTimeout(abort, options.timeoutMs);
    signal.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => finish(socket.getProtocol() ?? 'TLS'));
    // A server that sends a TLS alert is TLS all the same; plaintext replies fail as a wrong version.
    socket.once('error', (err: NodeJS.ErrnoException) => finish(/alert|handshake failure/i.test(err.message) && !/wrong version/i.test(err.message) ? 'TLS (alert)' : undefined));
  });
}

/**
 * Name the service on an open TCP port, even on a port it does not usually live on: first
 * listen for a greeting (SSH, SMTP, FTP, MySQL, POP3, IMAP speak first), then send one
 * harmless probe at a time (HTTP HEAD, TLS ClientHello, Redis PING, PostgreSQL SSLRequest,
 * RDP connection request, Modbus read device id), the port's usual one first, until one
 * is answered. Each connection is bounded by `timeoutMs` and `maxBytes`; a port that
 * answers nothing is `unknown`.
 *
 * @example
 * await identifyService('127.0.0.1', 28081, {}, signal) // { service: 'http', probe: 'http', evidence: 'HTTP/1.1 200 OK\r\n...' }
 */
export async function identifyService(address: string, port: number, options: ServiceIdOptions, signal: AbortSignal): Promise<ServiceGuess> {
  const resolved = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<ServiceIdOptions>;
  const greeting = await exchange(address, port, Buffer.alloc(0), resolved, signal);
  if (greeting !== undefined) return { service: matchGreeting(greeting) ?? 'unknown', probe: 'banner', evidence: escapeBytes(greeting) };
  const ordered = [...PROBES.filter((p) => p.ports.includes(port)), ...PROBES.filter((p) => !p.ports.includes(port))];
  let silentEvidence = '';
  for (const probe of ordered) {
    if (signal.aborted) break;
    if (probe.name === 'tls') {
      const protocol = await tlsHandshake(address, port, resolved, signal);
      if (protocol !== undefined) return { service: 'ssl', probe: 'tls', evidence: `TLS handshake: ${protocol}` };
      continue;
    }
    const reply = await exchange(address, port, probe.payload, resolved, signal);
    if (reply === undefined) continue;
    const service = probe.match(reply) ?? matchGreeting(reply);
    if (service !== undefined) return { service, probe: probe.name, evidence: escapeBytes(reply) };
    silentEvidence ||= escapeBytes(reply);
  }
  return { service: 'unknown', probe: 'none', evidence: silentEvidence };
}

/** Identify several ports at once, `concurrency` at a time, in input order. */
export async function identifyServices(
  targets: readonly { address: string; port: number }[],
  options: ServiceIdOptions & { concurrency?: number },
  signal: AbortSignal,
): Promise<ServiceGuess[]> {
  const guesses = new Array<ServiceGuess>(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      guesses[index] = signal.aborted ? { service: 'unknown', probe: 'none', evidence: '' } : await identifyService(target.address, target.port, options, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, targets.length)) }, worker));
  return guesses;
}
