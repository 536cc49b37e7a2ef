import { isOutpostError } from '@outpost/protocol';

/** Exit codes of the non-check commands. */
export const EXIT = { ok: 0, failure: 1, config: 2 } as const;

/** Print the error the way every command does and exit: config errors 2, anything else 1 unless given. */
export function fail(err: unknown, code: number = EXIT.config): never {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isOutpostError(err) ? code : EXIT.failure);
}
