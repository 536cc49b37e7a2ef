import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** What fping saw for one host in one sweep. */
export interface IcmpHostResult {
  /** The host exactly as it was asked for. */
  host: string;
  /** False when fping could not resolve the name (it then prints no summary line). */
  resolved: boolean;
  sent: number;
  received: number;
  /** 0-100; 100 for an unresolved host. */
  lossPct: number;
  /** One entry per reply, in milliseconds. */
  rttsMs: number[];
  minMs?: number;
  avgMs?: number;
  maxMs?: number;
}

export type IcmpSweep =
  | { outcome: 'done'; hosts: IcmpHostResult[]; exitCode: number; elapsedMs: number }
  | { outcome: 'missing_tool' | 'permission_denied' | 'aborted' | 'error'; detail: string; elapsedMs: number };

export interface IcmpSweepOptions {
  /** Echo requests per host (fping `-C`). Default 3. */
  count?: number;
  /** Gap between the pings to one host (fping `-p`). Default 200. */
  intervalMs?: number;
  /**
   * Gap between packets to different hosts (fping `-i`). Default 10, fping's own, which
   * keeps a sweep of a /24 to ~2.5 s; 0 sends as fast as fping can, like `fping -i0`.
   */
  hostIntervalMs?: number;
  /** How long to wait for each reply (fping `-t`). Default 500. */
  pingTimeoutMs?: number;
  /** Aborting kills fping and resolves with `aborted`. */
  signal?: AbortSignal;
  /** The fping binary; found with {@link findFping} when not given. */
  fpingPath?: string;
  /** Cap on what fping may write before it is killed. Default 4 MiB. */
  maxOutputBytes?: number;
}

const DEFAULTS = { count: 3, intervalMs: 200, hostIntervalMs: 10, pingTimeoutMs: 500, maxOutputBytes: 4 * 1024 * 1024 };

// Services often run with a minimal PATH that lacks the sbin directories.
const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/sbin'];

/**
 * Where the fping binary is: the first executable `fping` on `searchPath` or in the usual
 * system directories. Resolves undefined when it is not installed.
 */
export async function findFping(searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const dirs = [...searchPath.split(delimiter).filter((dir) => dir !== ''), ...EXTRA_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, 'fping');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

// `-C` summary on stderr: `192.0.2.1    : 0.035 - 0.039`, one value or `-` per ping.
const SUMMARY_LINE = /^(\S+)\s+:((?:\s+(?:-|\d+(?:\.\d+)?))+)\s*$/;

/** Parse fping's `-C` summary lines; other lines are ignored. */
export function parseFpingSummary(text: string): Map<string, (number | null)[]> {
  const found = new Map<string, (number | null)[]>();
  for (const line of text.split('\n')) {
    const match = SUMMARY_LINE.exec(line.trimEnd());
    if (!match) continue;
    const values = match[2]!.trim().split(/\s+/).map((value) => (value === '-' ? null : Number(value)));
    found.set(match[1]!, values);
  }
  return found;
}

function hostResult(host: string, values: (number | null)[] | undefined, count: number): IcmpHostResult {
  if (values === undefined) return { host, resolved: false, sent: count, received: 0, lossPct: 100, rttsMs: [] };
  const rttsMs = values.filter((value): value is number => value !== null);
  const sent = values.length;
  const result: IcmpHostResult = {
    host,
    resolved: true,
    sent,
    received: rttsMs.length,
    lossPct: sent === 0 ? 100 : Number((((sent - rttsMs.length) / sent) * 100).toFixed(2)),
    rttsMs,
  };
  if (rttsMs.length > 0) {
    result.minMs = Math.min(...rttsMs);
    result.maxMs = Math.max(...rttsMs);
    result.avgMs = Number((rttsMs.reduce((sum, value) => sum + value, 0) / rttsMs.length).toFixed(3));
  }
  return result;
}

// fping's exit codes (fping(8)): 0 all alive, 1 some unreachable, 2 some names not found,
// 3 invalid arguments, 4 a system call failed.
function failureOf(exitCode: number | null, stderr: string): { outcome: 'permission_denied' | 'error'; detail: string } {
  const said = stderr.trim().split('\n').slice(-3).join('; ').slice(0, 300);
  // With -q fping 5.x suppresses crash_and_burn() text, so the socket failure (the only
  // system call that fails before the first ping in practice) arrives as a bare exit 4.
  if (exitCode === 4 && (said === '' || /socket|root|permi/i.test(said))) {
    return { outcome: 'permission_denied', detail: `fping could not open an ICMP socket (exit 4${said ? `: ${said}` : ''}); it needs root or CAP_NET_RAW (setcap cap_net_raw+ep on the fping binary)` };
  }
  return { outcome: 'error', detail: `fping exited with ${exitCode ?? 'a signal'}${said ? `: ${said}` : ''}` };
}

/**
 * Ping every host `count` times with one fping process and report per-host results.
 * Never rejects: a missing binary, missing privileges, an abort and fping errors are
 * outcomes. Hosts go to fping on stdin, so neither argv length nor a host that looks
 * like an option can break the command line.
 *
 * @example
 * const sweep = await sweepIcmp(['127.0.0.1', '127.0.0.2'], { count: 2, signal });
 * if (sweep.outcome === 'done') for (const h of sweep.hosts) console.log(h.host, h.lossPct);
 */
export async function sweepIcmp(hosts: readonly string[], options: IcmpSweepOptions = {}): Promise<IcmpSweep> {
  const resolved = { ...DEFAULTS, ...options };
  const started = performance.now();
  const elapsedMs = () => Number((performance.now() - started).toFixed(3));
  const unique = [...new Set(hosts)];
  if (unique.length === 0) return { outcome: 'done', hosts: [], exitCode: 0, elapsedMs: 0 };
  const fpingPath = resolved.fpingPath ?? (await findFping());
  if (fpingPath === undefined) return { outcome: 'missing_tool', detail: 'fping not found: install the Debian package fping', elapsedMs: elapsedMs() };
  const signal = resolved.signal;
  if (signal?.aborted) return { outcome: 'aborted', detail: 'aborted before fping started', elapsedMs: 0 };

  const args = [
    '-C', String(resolved.count),
    '-q',
    '-p', String(Math.round(resolved.intervalMs)),
    '-i', String(Math.round(resolved.hostIntervalMs)),
    '-t', String(Math.max(1, Math.round(resolved.pingTimeoutMs))),
    // Count mode sends exactly `count` pings; no extra retries or backoff on top.
    '-B1', '-r0',
  ];

  // Loaded with the first sweep: an agent without ICMP checks keeps child_process out of its memory.
  const { spawn } = await import('node:child_process');
  return new Promise<IcmpSweep>((resolve) => {
    const child = spawn(fpingPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let outputBytes = 0;
    let ending: IcmpSweep | undefined;

    const stop = (outcome: IcmpSweep) => {
      ending ??= outcome;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop({ outcome: 'aborted', detail: 'aborted while fping was running', elapsedMs: elapsedMs() });
    signal?.addEventListener('abort', onAbort, { once: true });

    const collect = (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > resolved.maxOutputBytes) {
        stop({ outcome: 'error', detail: `fping wrote more than maxOutputBytes ${resolved.maxOutputBytes}`, elapsedMs: elapsedMs() });
        return;
      }
      chunks.push(chunk);
    };
    child.stderr.on('data', collect);
    // Quiet mode writes nothing here; read it anyway so a full pipe can never stall fping.
    child.stdout.on('data', (chunk: Buffer) => { outputBytes += chunk.length; });
    // fping may exit (bad privileges) before reading its targets; EPIPE is expected then.
    child.stdin.on('error', () => {});
    child.stdin.end(`${unique.join('\n')}\n`);

    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => { spawnError = err; });
    child.on('close', (exitCode) => {
      signal?.removeEventListener('abort', onAbort);
      if (ending) return resolve(ending);
      if (spawnError) {
        const missing = spawnError.code === 'ENOENT';
        return resolve({
          outcome: missing ? 'missing_tool' : spawnError.code === 'EACCES' ? 'permission_denied' : 'error',
          detail: missing ? `fping not found at ${fpingPath}: install the Debian package fping` : `cannot run ${fpingPath}: ${spawnError.code ?? spawnError.message}`,
          elapsedMs: elapsedMs(),
        });
      }
      const stderr = Buffer.concat(chunks).toString('utf8');
      if (exitCode !== 0 && exitCode !== 1 && exitCode !== 2) return resolve({ ...failureOf(exitCode, stderr), elapsedMs: elapsedMs() });
      const summary = parseFpingSummary(stderr);
      resolve({
        outcome: 'done',
        hosts: unique.map((host) => hostResult(host, summary.get(host), resolved.count)),
        exitCode,
        elapsedMs: elapsedMs(),
      });
    });
  });
}
