import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/**
 * Fail early, naming the Debian package, when a peer tool the benchmark compares with is
 * missing: a benchmark that silently drops its reference column is worse than none.
 *
 * @example
 * requireTool('nmap', 'nmap', ['--version']);
 * requireTool('/usr/lib/nagios/plugins/check_tcp', 'monitoring-plugins-basic');
 */
export function requireTool(command: string, debianPackage: string, probeArgs?: string[]): void {
  try {
    if (command.includes('/')) accessSync(command, constants.X_OK);
    else execFileSync(command, probeArgs ?? ['--version'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    throw new Error(`${command} not found or not runnable: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`);
  }
}

/** Run a command to completion; throws with its stderr on failure. */
export function run(command: string, args: string[], timeoutMs = 10_000): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (err: unknown) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (err as Error).message}`);
  }
}

/** `--name value` and `--flag` arguments; unknown names are an error so typos do not pass silently. */
export function parseArgs(argv: readonly string[], known: Record<string, 'flag' | 'number' | 'string'>): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.replace(/^--/, '');
    const kind = known[name];
    if (!arg.startsWith('--') || kind === undefined) {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; known: ${Object.keys(known).map((k) => `--${k}`).join(' ')}`);
    }
    if (kind === 'flag') {
      out.set(name, true);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || (kind === 'number' && !/^\d+$/.test(value))) {
      throw new Error(`--${name} expects ${kind === 'number' ? 'a whole number' : 'a value'}, got ${JSON.stringify(value ?? '')}`);
    }
    out.set(name, value);
  }
  return out;
}

/** A numeric option with its default. */
export function numberArg(args: Map<string, string | true>, name: string, fallback: number): number {
  const value = args.get(name);
  return typeof value === 'string' ? Number(value) : fallback;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
