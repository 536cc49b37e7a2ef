// Realistic results for the outbox and drain benchmarks: what a day of 1000 TCP checks a
// minute looks like in the outbox (about 150 encoded bytes each), made deterministically so
// every run and every baseline stores the same rows.
import type { NewResult } from '../../packages/agent/dist/outbox.js';

/** Results one check makes a minute at the default 60 s interval. */
const CHECKS_PER_MINUTE_DEFAULT = 1_000;

export interface BacklogShape {
  /** Distinct check ids; result i belongs to check i mod checks. */
  checks: number;
  /** Start time of the first minute of results (Unix ms). */
  startMs: number;
}

/** The shape of one day ending now: 1000 checks, one result each per minute. */
export function dayShape(results: number, checks = CHECKS_PER_MINUTE_DEFAULT, nowMs = Date.now()): BacklogShape {
  const minutes = Math.ceil(results / checks);
  return { checks, startMs: nowMs - minutes * 60_000 };
}

/** Check ids as `outpost-agent` names TCP checks by default: "tcp:cell-03-host-0007.plant:502". */
export function checkIds(count: number): string[] {
  const ports = [22, 80, 443, 502, 3389, 8080, 8443, 161];
  const host = (i: number) => `cell-${String(i >> 6).padStart(2, '0')}-host-${String(i).padStart(4, '0')}.plant`;
  return Array.from({ length: count }, (_, i) => `tcp:${host(i)}:${ports[i % ports.length]}`);
}

/**
 * Result `i` (0-based) of a backlog: check i mod checks, in minute i div checks, with the
 * check's jitter inside the minute. One check in fifty is down (CRITICAL, refused).
 */
export function makeResult(i: number, shape: BacklogShape, ids: readonly string[]): NewResult {
  const check = i % shape.checks;
  const minute = Math.floor(i / shape.checks);
  const target = ids[check]!.slice(4);
  const down = check % 50 === 7;
  // Cheap deterministic spread, so numbers vary like real timings without Math.random.
  const spread = ((i * 2_654_435_761) >>> 0) / 4_294_967_296;
  const connectMs = Math.round((0.2 + spread * 3) * 1000) / 1000;
  return {
    checkId: ids[check]!,
    startedAtMs: shape.startMs + minute * 60_000 + Math.floor((check / shape.checks) * 55_000),
    durationUs: Math.round(connectMs * 1000) + 40,
    status: down ? 2 : 0,
    observation: down ? 'refused' : 'open',
    message: down ? `TCP CRITICAL - ${target} refused (RST) in ${connectMs} ms` : `TCP OK - ${target} open in ${connectMs} ms`,
    metrics: { connect_ms: connectMs },
    checkConfigHash: '3f9a1c0e7b52d4a8',
    // As the agent says it: every check runs once a minute.
    intervalMs: 60_000,
  };
}

/** Results [from, from + count) as one array (an outbox append). */
export function makeChunk(from: number, count: number, shape: BacklogShape, ids: readonly string[]): NewResult[] {
  const out = new Array<NewResult>(count);
  for (let k = 0; k < count; k++) out[k] = makeResult(from + k, shape, ids);
  return out;
}
