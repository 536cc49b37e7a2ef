import type { OpenedBatch } from '@outpost/protocol';
import type { Counters } from './counters.js';
import type { BudgetAccount } from './ingest-budget.js';
import { BatchCommits } from './session-commits.js';
import type { CollectorStore, IngestOutcome } from './store.js';

export interface RelayedCommitsOptions<Meta> {
  store: CollectorStore;
  counters: Counters;
  /** Verified batches of one agent that may wait for a commit (the session's queue limit bounds all of them). */
  maxPendingPerAgent: number;
  /** The collector-wide bound on waiting results, charged to the relay's session. */
  budget?: BudgetAccount;
  /** After the commit, in arrival order: the RelayedAck that lets the relay delete its copy. */
  ack(batch: OpenedBatch, outcome: IngestOutcome, meta: Meta): void;
  /**
   * After the acks of one commit: path, state engine. Run in commit order per agent, off
   * the commit path (the next commit does not wait for it); a throw goes to `failed`.
   */
  afterCommit(outcomes: IngestOutcome[], metas: Meta[]): Promise<void>;
  /** The store failed (nothing of that commit stored or acked), or afterCommit threw: the relay session ends. */
  failed(err: unknown): void;
  isClosed(): boolean;
}

interface AgentCommits<Meta> {
  commits: BatchCommits<Meta>;
  /** The afterCommit work of this agent's commits, chained in commit order. */
  after: Promise<void>;
  /** Batches added whose afterCommit is not done yet. */
  unsettled: number;
}

/**
 * Group commit for the agents behind one relay session: one BatchCommits per relayed agent
 * (made on its first batch), so a relay draining a backlog gets the gain a direct agent
 * gets (its window of batches in one synced commit) while each agent's commits stay one at
 * a time and in order, and every batch is acked only after the commit that stored it.
 *
 * @example
 * const commits = new RelayedCommits({ store, counters, maxPendingPerAgent: 64, ack, afterCommit, failed, isClosed });
 * commits.add(agent.id, openBatch(batch, agentKey), { agentKey, path });
 * await commits.settled(agent.id); // before a heartbeat of that agent is judged
 */
export class RelayedCommits<Meta> {
  readonly #o: RelayedCommitsOptions<Meta>;
  readonly #agents = new Map<number, AgentCommits<Meta>>();
  #pending = 0;

  constructor(options: RelayedCommitsOptions<Meta>) {
    this.#o = options;
  }

  /** Verified batches not acked yet, over all agents: they count against the session's queue limit. */
  get pending(): number {
    return this.#pending;
  }

  /** Queue a verified batch of `agentId` for its next commit. Throws OUTPOST_ERR_LIMIT past maxPendingPerAgent. */
  add(agentId: number, batch: OpenedBatch, meta: Meta): void {
    const group = this.#agents.get(agentId) ?? this.#open(agentId);
    group.commits.add(batch, meta);
    group.unsettled += 1;
    this.#pending += 1;
  }

  /**
   * Resolves once nothing of `agentId` (every agent when omitted) waits for a commit or is
   * in one, and the afterCommit work of its commits is done (or the session closed).
   * Returns whether there was anything to wait for.
   */
  async settled(agentId?: number): Promise<boolean> {
    const groups = agentId === undefined ? [...this.#agents.values()] : [this.#agents.get(agentId)].filter((g) => g !== undefined);
    let waited = false;
    for (const group of groups) {
      while (group.unsettled > 0 && !this.#o.isClosed()) {
        waited = true;
        await group.commits.settled();
        await group.after;
      }
    }
    return waited;
  }

  #open(agentId: number): AgentCommits<Meta> {
    const { store, counters } = this.#o;
    const group: AgentCommits<Meta> = {
      after: Promise.resolve(),
      unsettled: 0,
      commits: new BatchCommits<Meta>({
        store,
        counters,
        agentId,
        maxPending: this.#o.maxPendingPerAgent,
        ...(this.#o.budget ? { budget: this.#o.budget } : {}),
        ack: (batch, outcome, meta) => {
          this.#pending -= 1;
          this.#o.ack(batch, outcome, meta);
        },
        committed: (outcomes, metas) => {
          group.after = group.after
            .then(() => this.#o.afterCommit(outcomes, metas))
            // As when it ran inside the session's queue: a store that fails here ends the session.
            .catch((err: unknown) => this.#o.failed(err))
            .finally(() => {
              group.unsettled -= metas.length;
            });
        },
        failed: (err) => this.#o.failed(err),
        isClosed: () => this.#o.isClosed(),
      }),
    };
    this.#agents.set(agentId, group);
    return group;
  }
}
