import type { Counters } from './counters.js';

/** A source of batches whose reading can be held: an agent session's socket. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** One session's side of the budget: what it takes when a batch is verified, gives back once it is committed or dropped. */
export interface BudgetAccount {
  take(results: number): void;
  give(results: number): void;
}

export interface IngestBudgetOptions {
  /** Verified results waiting for their commit, over all sessions, past which reading pauses. */
  maxResults: number;
  counters: Counters;
}

/** Reading resumes once the waiting results fall to this share of the maximum. */
const RESUME_AT = 0.75;

/**
 * Bounds the verified results that wait for a commit across every session of a collector.
 * Each session is bounded by its agent's window, but after a collector outage every agent
 * comes back with a backlog at once: a thousand agents with eight 1000-result batches in
 * flight would hold gigabytes of decoded results waiting for the one store. Past the
 * maximum, the session that added a batch stops reading its socket (TCP holds the rest in
 * the agent's outbox, where it is safe); every paused session resumes together once the
 * waiting results fall to three quarters of it. Nothing is refused, so nothing is resent.
 *
 * @example
 * const budget = new IngestBudget({ maxResults: 200_000, counters });
 * const account = budget.accountFor({ pause: () => ws.pause(), resume: () => ws.resume() });
 * account.take(batch.results.length); // verified, waiting for its commit
 * account.give(batch.results.length); // committed, or dropped with its session
 */
export class IngestBudget {
  readonly #o: IngestBudgetOptions;
  readonly #paused = new Set<Pausable>();
  #waiting = 0;

  constructor(options: IngestBudgetOptions) {
    this.#o = options;
  }

  /** Verified results waiting for their commit now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Sessions not being read now. */
  get paused(): number {
    return this.#paused.size;
  }

  accountFor(source: Pausable): BudgetAccount {
    return {
      take: (results) => this.#take(results, source),
      give: (results) => this.#give(results),
    };
  }

  #take(results: number, source: Pausable): void {
    this.#waiting += results;
    if (this.#waiting <= this.#o.maxResults || this.#paused.has(source)) return;
    this.#paused.add(source);
    this.#o.counters.add('ingest.paused');
    source.pause();
  }

  #give(results: number): void {
    this.#waiting -= results;
    if (this.#paused.size === 0 || this.#waiting > this.#o.maxResults * RESUME_AT) return;
    const paused = [...this.#paused];
    this.#paused.clear();
    for (const source of paused) source.resume();
  }
}
