import { parseStatus, Status } from '@outpost/protocol';
import { applyThresholds, type Observation } from './checks/index.js';
import type { ResolvedCheck } from './config.js';
import type { Logger } from './logger.js';
import type { NewResult } from './outbox.js';

/** The longest delay a Node timer keeps (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
/** Result.interval_ms is a uint32. */
const MAX_WIRE_INTERVAL_MS = 2 ** 32 - 1;

export interface SchedulerOptions {
  checks: readonly ResolvedCheck[];
  maxConcurrent: number;
  /** Called once per finished check run, in the moment the result is made. */
  onResult: (result: NewResult) => void;
  logger: Logger;
  /** Spread first runs over at most this long after start. */
  startSpreadMs?: number;
  random?: () => number;
  /** A runner that ignores its abort signal is given up this long after its timeout. */
  abortGraceMs?: number;
}

interface Slot {
  check: ResolvedCheck;
  timer: NodeJS.Timeout | undefined;
  running: AbortController | undefined;
  queued: boolean;
  memory: unknown;
  overruns: number;
  /** Removed or replaced by a reload: never armed again; a run in flight still reports. */
  retired: boolean;
}

/** What a reload did to the check list, by check id. */
export interface CheckListChange {
  added: string[];
  removed: string[];
  /** Same id, different config or timing: rescheduled with a fresh slot (its memory starts over). */
  changed: string[];
}

function newSlot(check: ResolvedCheck): Slot {
  return { check, timer: undefined, running: undefined, queued: false, memory: undefined, overruns: 0, retired: false };
}

/** A check whose entry and resolved timing are unchanged keeps its slot, timer and memory. */
function sameCheck(a: ResolvedCheck, b: ResolvedCheck): boolean {
  return a.configHash === b.configHash && a.intervalMs === b.intervalMs && a.timeoutMs === b.timeoutMs && a.jitterMs === b.jitterMs;
}

/**
 * Runs every check on its interval with jitter, at most `maxConcurrent` at once, each
 * under an AbortSignal that fires at its timeout. A check still running when it is due
 * again skips that round (counted as an overrun) instead of piling up.
 *
 * @example
 * const scheduler = new Scheduler({ checks, maxConcurrent: 256, onResult, logger });
 * scheduler.start();
 * await scheduler.stop();
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  #slots: Map<string, Slot>;
  readonly #queue: Slot[] = [];
  readonly #random: () => number;
  #running = 0;
  #started = false;
  #stopped = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#slots = new Map(options.checks.map((check) => [check.id, newSlot(check)]));
  }

  start(): void {
    this.#started = true;
    for (const slot of this.#slots.values()) this.#armFirst(slot);
  }

  /**
   * Swap in a new check list (SIGHUP): unchanged checks keep their schedule, new and
   * changed ones start within the start spread, removed ones are never run again. A run
   * already in flight finishes and reports, so no observation that was made is lost.
   */
  reload(checks: readonly ResolvedCheck[]): CheckListChange {
    const change: CheckListChange = { added: [], removed: [], changed: [] };
    const next = new Map<string, Slot>();
    for (const check of checks) {
      const old = this.#slots.get(check.id);
      if (old && sameCheck(old.check, check)) {
        next.set(check.id, old);
        continue;
      }
      next.set(check.id, newSlot(check));
      (old ? change.changed : change.added).push(check.id);
    }
    for (const [id, slot] of this.#slots) {
      if (next.get(id) === slot) continue;
      this.#retire(slot);
      if (!next.has(id)) change.removed.push(id);
    }
    this.#slots = next;
    if (this.#started && !this.#stopped) {
      for (const slot of next.values()) if (slot.timer === undefined && slot.running === undefined) this.#armFirst(slot);
    }
    return change;
  }

  /** Stop scheduling, abort running checks and wait for them; their results are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.timer);
      slot.running?.abort(new Error('agent stopping'));
    }
    this.#queue.length = 0;
    await Promise.all([...this.#inFlight]);
  }

  #armFirst(slot: Slot): void {
    const spread = this.#options.startSpreadMs ?? 2_000;
    this.#arm(slot, Math.round(this.#random() * Math.min(spread, slot.check.intervalMs)));
  }

  #arm(slot: Slot, delayMs: number): void {
    if (this.#stopped || slot.retired) return;
    // Node fires a timer of more than 2^31-1 ms after 1 ms: an interval of 25 days or more
    // waits in steps instead of running back to back.
    if (delayMs > MAX_TIMER_MS) {
      slot.timer = setTimeout(() => this.#arm(slot, delayMs - MAX_TIMER_MS), MAX_TIMER_MS);
      return;
    }
    // The slot rides as the timer's argument: one bound function for all, not a closure per
    // check and round (1000 checks keep 1000 timers armed; Node keeps a small argument array).
    slot.timer = setTimeout(this.#onDue, delayMs, slot);
  }

  readonly #onDue = (slot: Slot): void => this.#due(slot);

  #retire(slot: Slot): void {
    slot.retired = true;
    clearTimeout(slot.timer);
    if (slot.queued) {
      slot.queued = false;
      this.#queue.splice(this.#queue.indexOf(slot), 1);
    }
  }

  #nextDelay(slot: Slot): number {
    const { intervalMs, jitterMs } = slot.check;
    return Math.max(1, Math.round(intervalMs + (this.#random() * 2 - 1) * jitterMs));
  }

  #due(slot: Slot): void {
    this.#arm(slot, this.#nextDelay(slot));
    if (slot.running || slot.queued) {
      slot.overruns += 1;
      this.#options.logger.warn({ check: slot.check.id, overruns: slot.overruns }, 'check still running when due again; round skipped');
      return;
    }
    if (this.#running >= this.#options.maxConcurrent) {
      slot.queued = true;
      this.#queue.push(slot);
      return;
    }
    this.#launch(slot);
  }

  #launch(slot: Slot): void {
    this.#running += 1;
    const run = this.#runOnce(slot).finally(() => {
      this.#running -= 1;
      this.#inFlight.delete(run);
      const next = this.#queue.shift();
      if (next && !this.#stopped) {
        next.queued = false;
        this.#launch(next);
      }
    });
    this.#inFlight.add(run);
  }

  async #runOnce(slot: Slot): Promise<void> {
    const { check } = slot;
    const controller = new AbortController();
    slot.running = controller;
    const startedAtMs = Date.now();
    const t0 = performance.now();
    const timeout = setTimeout(() => controller.abort(new Error('check timeout')), check.timeoutMs);
    let observation: Observation;
    try {
      observation = await withGrace(
        check.type.run(check.config, {
          signal: controller.signal,
          timeoutMs: check.timeoutMs,
          memory: { get: () => slot.memory, set: (value) => (slot.memory = value) },
        }),
        check.timeoutMs + (this.#options.abortGraceMs ?? 1_000),
      );
    } catch (err: unknown) {
      // A runner that throws is a bug in the runner; the result still records it.
      const message = err instanceof Error ? err.message : String(err);
      this.#options.logger.error({ check: check.id, err: message }, 'check runner failed');
      observation = { status: 'UNKNOWN', observation: 'error', message: `check failed: ${message}`, metrics: {} };
    } finally {
      clearTimeout(timeout);
      slot.running = undefined;
    }
    if (this.#stopped) return;
    observation = applyThresholds(observation, check.thresholds);
    this.#options.onResult({
      checkId: check.id,
      startedAtMs,
      durationUs: Math.round((performance.now() - t0) * 1000),
      status: parseStatus(observation.status) ?? Status.UNKNOWN,
      observation: observation.observation,
      message: observation.message,
      metrics: observation.metrics,
      ...(observation.transcript ? { transcript: observation.transcript } : {}),
      checkConfigHash: check.configHash,
      // A uint32 on the wire (49.7 days): longer intervals are said as that, never wrapped.
      intervalMs: Math.min(check.intervalMs, MAX_WIRE_INTERVAL_MS),
    });
  }
}

function withGrace(run: Promise<Observation>, limitMs: number): Promise<Observation> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Observation>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'UNKNOWN', observation: 'timeout', message: `check did not stop within ${limitMs} ms of its start`, metrics: {} }),
      limitMs,
    );
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}
