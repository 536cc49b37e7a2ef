import { Status } from '@outpost/protocol';
import type { Counters } from './counters.js';
import type { Logger } from './logger.js';
import type { AgentRecord, CollectorStore, EventRecord, IngestOutcome } from './store.js';

// Satellite liveness: an agent past its grace period goes silent (one event, one notification,
// its checks UNKNOWN); when it comes back, one recovery event, then a summary of the outage
// once its backlog drained (or the summary delay ran out).

/** What liveness needs from the state engine around it. */
export interface AgentLivenessOptions {
  store: CollectorStore;
  logger: Logger;
  counters: Counters;
  now: () => number;
  /** The configured wait for a backlog to drain before the summary goes out anyway (reloadable). */
  summaryAfterMs: () => number;
  graceFor(agent: AgentRecord): number;
  /** Agents are judged from this time at the earliest: the collector's start, or when it became leader. */
  judgedFrom: () => number;
  notify(events: readonly EventRecord[]): void;
  publishEvent(event: EventRecord): void;
  publishAgent(name: string): void;
  publishChecks(agent: string): Promise<void>;
  failed(what: string, err: unknown): void;
}

/** An agent back from silence, until its backlog has drained and the summary went out. */
interface Return {
  silentSince: number;
  lastHeardAt: number;
  backAt: number;
  results: number;
  incidents: number;
  timer: NodeJS.Timeout;
}

/** "2 h 13 min", "45 s": durations in notification text. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const units: [string, number][] = [['d', 86_400], ['h', 3_600], ['min', 60]];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

/**
 * Silence and return of agents, for the StateEngine: `sweep()` on the leader's timer,
 * `connected()`, `countIngest()` and `heartbeat()` from the sessions.
 *
 * @example
 * const liveness = new AgentLiveness({ store, logger, counters, now: Date.now, summaryAfterMs: () => 60_000, ... });
 * await liveness.sweep();
 */
export class AgentLiveness {
  readonly #o: AgentLivenessOptions;
  readonly #returns = new Map<number, Return>();

  constructor(options: AgentLivenessOptions) {
    this.#o = options;
  }

  /** Forget the agents waiting for their summary (none goes out). */
  stop(): void {
    for (const r of this.#returns.values()) clearTimeout(r.timer);
    this.#returns.clear();
  }

  /** Results and incidents stored for a returning agent count into its summary. */
  countIngest(agentId: number, outcomes: readonly IngestOutcome[], events: readonly EventRecord[]): void {
    const back = this.#returns.get(agentId);
    if (back) {
      back.results += outcomes.reduce((n, o) => n + o.stored, 0);
      back.incidents += events.filter((e) => e.kind === 'check' && e.backfilled && e.to !== Status.OK && e.from !== null).length;
    }
  }

  /** An admitted agent (its record from before this Hello). A silent one is back: start waiting for its backlog. */
  async connected(before: AgentRecord): Promise<void> {
    const now = this.#o.now();
    if (before.silentSince !== null && (await this.#o.store.setAgentSilence(before.id, null))) {
      const lastHeardAt = before.lastSeenAt ?? before.silentSince;
      const event = await this.#o.store.appendAgentEvent(before.id, 'agent_back', now, `${before.name}: back after ${humanDuration(now - lastHeardAt)} of silence`);
      // The recovery of the silent page; the summary of the outage follows once the backlog drained.
      this.#o.notify([event]);
      this.#o.publishEvent(event);
      this.#o.logger.info({ agent: before.name, silentMs: now - lastHeardAt }, 'agent back');
      const timer = setTimeout(() => this.#summarise(before.id, before.name, false).catch((err: unknown) => this.#o.failed('return summary', err)), this.#o.summaryAfterMs());
      timer.unref();
      this.#returns.set(before.id, { silentSince: before.silentSince, lastHeardAt, backAt: now, results: 0, incidents: 0, timer });
      await this.#o.publishChecks(before.name);
    }
  }

  /** The agent's heartbeat: an empty backlog after a return completes the summary. */
  async heartbeat(agentId: number, name: string, backlog: number): Promise<void> {
    if (backlog === 0 && this.#returns.has(agentId)) await this.#summarise(agentId, name, true);
  }

  async #summarise(agentId: number, name: string, drained: boolean): Promise<void> {
    const back = this.#returns.get(agentId);
    if (!back) return;
    this.#returns.delete(agentId);
    clearTimeout(back.timer);
    const incidents = `${back.incidents} incident${back.incidents === 1 ? '' : 's'} during outage`;
    const tail = drained ? '' : ' (backlog still draining)';
    const message = `${name} back after ${humanDuration(back.backAt - back.lastHeardAt)}: ${back.results.toLocaleString('en-US')} results, ${incidents}${tail}`;
    const event = await this.#o.store.appendAgentEvent(agentId, 'summary', this.#o.now(), message);
    this.#o.publishEvent(event);
    this.#o.notify([event]);
  }

  /** Agents past their grace period become silent: one event, one notification, checks UNKNOWN. */
  async sweep(): Promise<void> {
    const now = this.#o.now();
    for (const agent of await this.#o.store.listAgents()) {
      if (agent.status !== 'active' || agent.lastSeenAt === null || agent.silentSince !== null) continue;
      const grace = this.#o.graceFor(agent);
      const heardAt = Math.max(agent.lastSeenAt, this.#o.judgedFrom());
      if (now - heardAt <= grace || !(await this.#o.store.setAgentSilence(agent.id, now))) continue;
      const back = this.#returns.get(agent.id);
      if (back) {
        clearTimeout(back.timer);
        this.#returns.delete(agent.id);
      }
      const checks = (await this.#o.store.listCheckStates(agent.name)).length;
      const message = `${agent.name}: satellite silent for ${humanDuration(now - agent.lastSeenAt)} (grace ${humanDuration(grace)}); its ${checks} check${checks === 1 ? '' : 's'} are UNKNOWN`;
      const event = await this.#o.store.appendAgentEvent(agent.id, 'agent_silent', now, message, Status.UNKNOWN);
      this.#o.counters.add('state.agents_silenced');
      this.#o.logger.warn({ agent: agent.name, lastSeen: agent.lastSeenAt, graceMs: grace }, 'agent silent');
      this.#o.notify([event]);
      this.#o.publishEvent(event);
      this.#o.publishAgent(agent.name);
      await this.#o.publishChecks(agent.name);
    }
  }
}
