// CPU time and memory of a child process from /proc, for benchmarks that report what a
// process cost, not only how long the run took.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (almost always 100). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStats {
  /** User plus system CPU seconds since the process started. */
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** Resident set now and its peak (VmHWM), in MiB. */
  rssMiB: number;
  peakRssMiB: number;
}

/**
 * Read a live process's CPU time and RSS; undefined once it has exited.
 *
 * @example
 * const before = procStats(collector.child.pid!);
 */
export function procStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]) / CLK_TCK;
    const system = Number(fields[12]) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds: user + system, userSeconds: user, systemSeconds: system, rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
