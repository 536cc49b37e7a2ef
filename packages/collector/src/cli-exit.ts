import { isOutpostError } from '@outpost/protocol';

// How an outpost-collector command ends: its exit codes, and the one line it prints when it fails.

/** Exit codes of every command: 0 done, 1 failed (a peer, a file, a rejected batch), 2 bad usage or config. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Print `err` as one line on stderr and exit: with `code` for an OutpostError (what the
 * operator can fix), with 1 for anything else.
 *
 * @example
 * if (ttlMs === undefined) fail(new OutpostError(ErrorCode.CONFIG, `--ttl ${text}: expected a duration such as 30m`));
 */
export function fail(err: unknown, code: number = EXIT.usage): never {
  process.stderr.write(`outpost-collector: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isOutpostError(err) ? code : EXIT.failure);
}
