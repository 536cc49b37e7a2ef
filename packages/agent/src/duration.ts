import { formatDuration, parseDurationMs } from '@outpost/protocol';
import * as z from 'zod';

export { formatDuration, parseDurationMs };

/** A zod field for a duration in config files; yields milliseconds. */
export function durationMs(bounds: { minMs?: number; maxMs?: number } = {}) {
  const { minMs = 0, maxMs = 365 * 86_400_000 } = bounds;
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "10s" or "5m", got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${formatDuration(minMs)} and ${formatDuration(maxMs)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });
}
