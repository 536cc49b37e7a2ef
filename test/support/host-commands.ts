import { execFileSync } from 'node:child_process';

// The system commands the namespace labs (link faults, relays, segmentation) run as root.

/** Metric of the safety route that keeps a lab subnet from ever reaching the default route. */
export const UNREACHABLE_METRIC = '4000';

export function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run a clean-up step whose target may already be gone. */
export function quietly(command: string, args: readonly string[]): void {
  try {
    run(command, args);
  } catch {
    // already gone
  }
}

/** Fail (never skip) when a tool is missing, naming the Debian package to install. */
export function requireTool(command: string, pkg: string, args: readonly string[]): void {
  try {
    run(command, args);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${command} is not installed: install the Debian package "${pkg}" (apt-get install ${pkg})`);
    throw err;
  }
}
