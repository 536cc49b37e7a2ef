import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate, type PeerCertificate, type SecureVersion } from 'node:tls';
import * as z from 'zod';
import type { CheckContext, CheckType, Observation, StatusName } from './check.js';
import { formatHostPort, hostPortField } from './target.js';
import { parseNagiosRange } from './thresholds.js';

const DAY_MS = 86_400_000;
/** A CA bundle larger than this is not a CA bundle; refuse rather than buffer it. */
export const MAX_CA_FILE_BYTES = 1_048_576;
/** Bounds the walk up `issuerCertificate`; real chains are 2-4 long. */
const MAX_CHAIN_LENGTH = 16;
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const satisfies readonly SecureVersion[];

/**
 * Read a PEM CA bundle named in config (`ca:`). Read on each run so a rotated file is picked
 * up. Returns the PEM text, or a reason for the message when it cannot be used.
 */
export async function readCaFile(path: string, signal: AbortSignal): Promise<{ pem: string } | { problem: string }> {
  try {
    const { size } = await stat(path);
    if (size > MAX_CA_FILE_BYTES) return { problem: `ca file ${path}: ${size} bytes exceeds max ${MAX_CA_FILE_BYTES}` };
    const pem = await readFile(path, { encoding: 'utf8', signal });
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) return { problem: `ca file ${path}: no PEM certificate in it` };
    return { pem };
  } catch (err: unknown) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    return { problem: `ca file ${path}: cannot read (${code})` };
  }
}

/** A zod field holding a regular expression written as a string in config. */
export function regexField() {
  return z.string().transform((text, ctx) => {
    try {
      return new RegExp(text);
    } catch (err: unknown) {
      const why = err instanceof Error ? err.message : String(err);
      ctx.addIssue({ code: 'custom', message: `expected a regular expression, got ${JSON.stringify(text)} (${why})` });
      return z.NEVER;
    }
  });
}

const target = hostPortField(443);

const days = z.number().min(0).max(3650);

export const tlsSchema = z
  .object({
    target,
    servername: z.string().min(1).optional(),
    expiry_warning_days: days.default(21),
    expiry_critical_days: days.default(7),
    verify_chain: z.boolean().default(true),
    ca: z.string().min(1).optional(),
    min_version: z.enum(TLS_VERSIONS).optional(),
    expect_subject: regexField().optional(),
    expect_san: regexField().optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.expiry_critical_days > config.expiry_warning_days) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiry_critical_days'],
        message: `expected expiry_critical_days no larger than expiry_warning_days (${config.expiry_warning_days}), got ${config.expiry_critical_days}`,
      });
    }
  });

export type TlsConfig = z.output<typeof tlsSchema>;

interface Handshake {
  leaf: DetailedPeerCertificate;
  chainLength: number;
  protocol: string;
  authorizationError?: string;
  handshakeMs: number;
}

type Failure = { observation: 'refused' | 'timeout' | 'error'; status: StatusName; detail: string; elapsedMs: number };

function chainLength(leaf: DetailedPeerCertificate): number {
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert && seen.size < MAX_CHAIN_LENGTH; cert = cert.issuerCertificate) {
    // A root's issuerCertificate is itself; stop when a certificate repeats.
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
  }
  return seen.size;
}

function handshake(config: TlsConfig, ca: string | undefined, signal: AbortSignal): Promise<Handshake | Failure> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (signal.aborted) return Promise.resolve({ observation: 'timeout', status: 'CRITICAL', detail: 'aborted before connect', elapsedMs: 0 });
  const { host, port } = config.target;
  const servername = config.servername ?? (isIP(host) === 0 ? host : undefined);
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      ...(servername === undefined ? {} : { servername }),
      ...(ca === undefined ? {} : { ca }),
      // Read the certificate whatever it is and judge it here. The probe sends no data, so
      // allowing old protocols and weak ciphers lets it report them instead of failing.
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    let connected = false;
    const finish = (result: Handshake | Failure) => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => {
      const stage = connected ? 'during the TLS handshake' : 'before the TCP connect completed';
      finish({ observation: 'timeout', status: 'CRITICAL', detail: `no answer ${stage}`, elapsedMs: elapsed() });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      if (!leaf || Object.keys(leaf).length === 0) {
        finish({ observation: 'error', status: 'CRITICAL', detail: 'server sent no certificate', elapsedMs: elapsed() });
        return;
      }
      const error = socket.authorizationError as unknown;
      finish({
        leaf,
        chainLength: chainLength(leaf),
        protocol: socket.getProtocol() ?? 'unknown',
        ...(error ? { authorizationError: error instanceof Error ? error.message : String(error) } : {}),
        handshakeMs: elapsed(),
      });
    });
    socket.once('error', (err: NodeJS.ErrnoException & { reason?: unknown }) => {
      const code = err.code ?? 'UNKNOWN';
      // OpenSSL's message is a multi-line dump of its error queue (addresses, source
      // files); its `reason` says the same in a few words: "wrong version number".
      const why = typeof err.reason === 'string' ? err.reason : err.message.split('\n')[0]!.trim();
      if (code === 'ECONNREFUSED') finish({ observation: 'refused', status: 'CRITICAL', detail: 'connection refused', elapsedMs: elapsed() });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') finish({ observation: 'error', status: 'UNKNOWN', detail: `name does not resolve (${code})`, elapsedMs: elapsed() });
      else finish({ observation: 'error', status: 'CRITICAL', detail: `${connected ? 'handshake' : 'connect'} failed: ${code} (${why})`, elapsedMs: elapsed() });
    });
  });
}

interface Finding {
  status: StatusName;
  observation: string;
  text: string;
}

/** Observation words in the order they win when several problems share the worst status. */
const PRECEDENCE = ['expired', 'not_yet_valid', 'untrusted', 'hostname_mismatch', 'old_protocol', 'subject_mismatch', 'expiring'];
const SEVERITY: Record<StatusName, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };
// The leaf's dates and names are judged on their own; OpenSSL (dates) and Node's
// checkServerIdentity (names) repeat them as these codes. A date code while the leaf's own
// dates are fine means an intermediate is out of date: that is a chain problem.
const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NAME_ERROR = 'ERR_TLS_CERT_ALTNAME_INVALID';

function subjectText(cert: PeerCertificate): string {
  const subject = cert.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject) return '';
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function judge(config: TlsConfig, found: Handshake, now: number): { findings: Finding[]; daysLeft: number; chainValid: boolean } {
  const { leaf } = found;
  const findings: Finding[] = [];
  const notAfter = Date.parse(leaf.valid_to);
  const notBefore = Date.parse(leaf.valid_from);
  const daysLeft = (notAfter - now) / DAY_MS;
  const expiresOn = new Date(notAfter).toISOString().slice(0, 10);
  if (daysLeft < 0) findings.push({ status: 'CRITICAL', observation: 'expired', text: `expired ${Math.ceil(-daysLeft)} days ago (${expiresOn})` });
  else if (now < notBefore) findings.push({ status: 'CRITICAL', observation: 'not_yet_valid', text: `not valid before ${new Date(notBefore).toISOString()}` });
  else if (daysLeft < config.expiry_critical_days) findings.push({ status: 'CRITICAL', observation: 'expiring', text: `critical threshold ${config.expiry_critical_days} days` });
  else if (daysLeft < config.expiry_warning_days) findings.push({ status: 'WARNING', observation: 'expiring', text: `warning threshold ${config.expiry_warning_days} days` });

  const leafDatesBad = daysLeft < 0 || now < notBefore;
  const error = found.authorizationError;
  const chainProblem = error === undefined || error === NAME_ERROR || (DATE_ERRORS.has(error) && leafDatesBad) ? undefined : error;
  const chainValid = chainProblem === undefined;
  const enforce: StatusName = config.verify_chain ? 'CRITICAL' : 'OK';
  if (chainProblem) findings.push({ status: enforce, observation: 'untrusted', text: `chain untrusted: ${chainProblem}` });
  const identity = config.servername ?? config.target.host;
  const mismatch = checkServerIdentity(identity, leaf);
  if (mismatch) findings.push({ status: enforce, observation: 'hostname_mismatch', text: `not valid for ${identity}` });

  if (config.min_version && TLS_VERSIONS.indexOf(found.protocol as SecureVersion) < TLS_VERSIONS.indexOf(config.min_version)) {
    findings.push({ status: 'CRITICAL', observation: 'old_protocol', text: `negotiated ${found.protocol}, expected at least ${config.min_version}` });
  }
  const subject = subjectText(leaf);
  if (config.expect_subject && !config.expect_subject.test(subject)) {
    findings.push({ status: 'CRITICAL', observation: 'subject_mismatch', text: `subject "${subject}" does not match /${config.expect_subject.source}/` });
  }
  const sans = leaf.subjectaltname ?? '';
  if (config.expect_san && !sans.split(', ').some((name) => config.expect_san!.test(name.replace(/^[A-Za-z ]+:/, '')))) {
    findings.push({ status: 'CRITICAL', observation: 'subject_mismatch', text: `no subjectAltName matches /${config.expect_san.source}/ (${sans || 'none'})` });
  }
  return { findings, daysLeft, chainValid };
}

function worst(findings: Finding[]): Finding | undefined {
  return findings
    .filter((finding) => finding.status !== 'OK')
    .sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status] || PRECEDENCE.indexOf(a.observation) - PRECEDENCE.indexOf(b.observation))[0];
}

async function run(config: TlsConfig, context: CheckContext): Promise<Observation> {
  const where = formatHostPort(config.target);
  let ca: string | undefined;
  if (config.ca !== undefined) {
    const read = await readCaFile(config.ca, context.signal);
    if ('problem' in read) return { status: 'UNKNOWN', observation: 'error', message: `${where} ${read.problem}`, metrics: {} };
    ca = read.pem;
  }
  const found = await handshake(config, ca, context.signal);
  if ('observation' in found) {
    const took = found.observation === 'timeout' ? `within ${context.timeoutMs} ms` : `after ${found.elapsedMs.toFixed(1)} ms`;
    return { status: found.status, observation: found.observation, message: `${where} ${found.detail} ${took}`, metrics: {} };
  }
  const { findings, daysLeft, chainValid } = judge(config, found, Date.now());
  const top = worst(findings);
  const expiresOn = new Date(Date.parse(found.leaf.valid_to)).toISOString().slice(0, 10);
  const life = daysLeft < 0 ? `expired ${Math.ceil(-daysLeft)} days ago (${expiresOn})` : `expires in ${Math.floor(daysLeft)} days (${expiresOn})`;
  const notes = findings.filter((finding) => finding.observation !== 'expired').map((finding) => finding.text);
  return {
    status: top?.status ?? 'OK',
    observation: top?.observation ?? 'ok',
    message: [`${where} cert ${subjectText(found.leaf) || '(no subject)'} ${life}, ${found.protocol}`, ...notes].join('; '),
    metrics: {
      days_left: Number(daysLeft.toFixed(3)),
      handshake_ms: Number(found.handshakeMs.toFixed(3)),
      chain_length: found.chainLength,
      chain_valid: chainValid ? 1 : 0,
    },
  };
}

/**
 * TLS certificate check: expiry against warning/critical days, chain trust (system roots or
 * `ca`), hostname, negotiated protocol version and optional subject/SAN patterns.
 *
 * @example
 * const config = tlsCheck.schema.parse({ target: 'example.internal:443', expiry_warning_days: 30 });
 * const observation = await tlsCheck.run(config, { signal, timeoutMs: 10_000 });
 * // { status: 'WARNING', observation: 'expiring', message: 'example.internal:443 cert CN=... expires in 12 days ...' }
 */
export const tlsCheck: CheckType<TlsConfig> = {
  type: 'tls',
  schema: tlsSchema,
  describe: (config) => formatHostPort(config.target),
  metrics: () => ['days_left', 'handshake_ms', 'chain_length', 'chain_valid'],
  // Fewer days left than the setting alerts: the Nagios range "21:".
  perfRanges: (config) => ({
    warning: { days_left: parseNagiosRange(`${config.expiry_warning_days}:`)! },
    critical: { days_left: parseNagiosRange(`${config.expiry_critical_days}:`)! },
  }),
  run,
};
