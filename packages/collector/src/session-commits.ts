import { ErrorCode, OutpostError, type OpenedBatch } from '@outpost/protocol';
import type { Counters } from './counters.js';
import type { BudgetAccount } from './ingest-budget.js';
import type { CollectorStore, IngestOutcome } from './store.js';

/** How long the first batch of a commit waits for the rest of the agent's window. */
const GATHER_MS = 4;
/** Results that start a commit at once (an agent's default window of 1000-result batches). */
const GROUP_RESULTS = 8_000;

export interface BatchCommitsOptions<Meta = void> {
  store: CollectorStore;
  counters: Counters;
  agentId: number;
  /** Verified batches that may wait for a commit; past this the agent ignores its window. */
  maxPending: number;
  /** The collector-wide bound on waiting results (ingest-budget.ts); a batch holds its share until committed or dropped. */
  budget?: BudgetAccount;
  /** After the commit, in arrival order: the Ack that promises the batch is durable. */
  ack(batch: OpenedBatch, outcome: IngestOutcome, meta: Meta): void;
  /** After the acks of one commit: its outcomes and what `add` was given, in arrival order. */
  committed(outcomes: IngestOutcome[], metas: Meta[]): void;
  /** The store failed (nothing of that commit is stored or acked), or `ack` or `committed` threw. */
  failed(err: unknown): void;
  isClosed(): boolean;
}

/**
 * Group commit for one agent session. A synced commit costs about the same for one batch as
 * for eight, and a draining agent keeps its whole window in flight, so the first batch waits
 * up to GATHER_MS for the rest of the window to be read (less once GROUP_RESULTS results
 * wait); batches verified while a commit is in flight (an asynchronous store such as
 * PostgreSQL) join the next. One commit at a time, in order; acks only after it. `Meta`
 * is what the caller keeps beside each batch until its ack (a relayed batch's route).
 *
 * @example
 * const commits = new BatchCommits({ store, counters, agentId, maxPending: 64, ack, committed, failed, isClosed });
 * commits.add(openBatch(frame.body, agentKey)); // acked once stored
 */
export class BatchCommits<Meta = void> {
  readonly #o: BatchCommitsOptions<Meta>;
  #pending: OpenedBatch[] = [];
  #metas: Meta[] = [];
  #pendingResults = 0;
  #commit: Promise<void> | undefined;
  #release: (() => void) | undefined;
  #gatherTimer: NodeJS.Timeout | undefined;

  constructor(options: BatchCommitsOptions<Meta>) {
    this.#o = options;
  }

  /** Queue a verified batch for the next commit. Throws OUTPOST_ERR_LIMIT past maxPending. */
  add(batch: OpenedBatch, meta: Meta): void {
    if (this.#pending.length >= this.#o.maxPending) {
      throw new OutpostError(ErrorCode.LIMIT, `more than ${this.#o.maxPending} batches waiting for a commit`);
    }
    this.#pending.push(batch);
    this.#metas.push(meta);
    this.#pendingResults += batch.results.length;
    this.#o.budget?.take(batch.results.length);
    this.#commit ??= new Promise<void>((resolve) => {
      this.#release = resolve;
      this.#gatherTimer = setTimeout(resolve, GATHER_MS);
    }).then(() => this.#commitPending());
    if (this.#release && this.#pendingResults >= GROUP_RESULTS) {
      clearTimeout(this.#gatherTimer);
      // setImmediate: frames already read in this turn of the event loop still join.
      setImmediate(this.#release);
      this.#release = undefined;
    }
  }

  /** Resolves once no batch waits for a commit or is in one (its acks and `committed` done). */
  async settled(): Promise<void> {
    while (this.#commit) await this.#commit;
  }

  async #commitPending(): Promise<void> {
    const { store, counters, agentId, budget } = this.#o;
    try {
      while (this.#pending.length > 0 && !this.#o.isClosed()) {
        const batches = this.#pending;
        const metas = this.#metas;
        const results = this.#pendingResults;
        this.#pending = [];
        this.#metas = [];
        this.#pendingResults = 0;
        this.#release = undefined;
        let outcomes: IngestOutcome[];
        try {
          outcomes = await store.ingestBatches(agentId, batches, Date.now());
        } finally {
          budget?.give(results);
        }
        counters.add('ingest.batches', batches.length);
        counters.add('ingest.commits');
        batches.forEach((batch, i) => {
          const outcome = outcomes[i]!;
          counters.add('ingest.results_stored', outcome.stored);
          counters.add('ingest.duplicates', outcome.duplicates);
          if (outcome.future) counters.add('ingest.future_results', outcome.future);
          this.#o.ack(batch, outcome, metas[i]!);
        });
        this.#o.committed(outcomes, metas);
      }
    } catch (err: unknown) {
      // The store's failure (nothing of that commit stored or acked), or a send that threw:
      // either way the session ends; no rejection is left unhandled.
      this.#o.failed(err);
    } finally {
      // The session closed or failed with batches still waiting: they will never be committed
      // (nor acked: the agent sends them again), so their share of the budget goes back.
      if (this.#pending.length > 0) {
        budget?.give(this.#pendingResults);
        this.#pending = [];
        this.#metas = [];
        this.#pendingResults = 0;
      }
      this.#commit = undefined;
    }
  }
}
