import { Status } from '@outpost/protocol';
import type { Counters } from './counters.js';
import type { Logger } from './logger.js';
import type { AgentRecord, AgentReturnRecord, AgentReturnSummary, CollectorStore, EventRecord } from './store.js';

// Satellite liveness: an agent past its grace period goes silent (one event, one notification,
// its checks UNKNOWN); when it comes back, one recovery event, then a summary of the outage
// once its backlog drained (or the summary delay ran out). The return waiting for its
// summary is kept in the store (agent_returns), and the summary counts from the store, so a
// restart or a new leader while the backlog drains still sends it, and sends it once.

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
  /** After a summary failed to be recorded (the store was down), try again this much later. Default 30 s. */
  retryMs?: number;
}

const RETRY_MS = 30_000;

/** "lab-1 back after 2 h 13 min: 86,400 results, 3 incidents during outage". */
function summaryMessage(s: AgentReturnSummary, drained: boolean): string {
  const incidents = `${s.incidents} incident${s.incidents === 1 ? '' : 's'} during outage`;
  const tail = drained ? '' : ' (backlog still draining)';
  return `${s.agent} back after ${humanDuration(s.backAt - s.lastHeardAt)}: ${s.results.toLocaleString('en-US')} results, ${incidents}${tail}`;
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
 * `resume()` when it becomes leader, `connected()` and `heartbeat()` from the sessions.
 *
 * @example
 * const liveness = new AgentLiveness({ store, logger, counters, now: Date.now, summaryAfterMs: () => 60_000, ... });
 * await liveness.resume();
 * await liveness.sweep();
 */
export class AgentLiveness {
  readonly #o: AgentLivenessOptions;
  /** Summary timers of the returns this process waits on, by agent id (the returns themselves are in the store). */
  readonly #returns = new Map<number, { backAt: number; silentSince: number; timer: NodeJS.Timeout }>();
  #stopped = false;

  constructor(options: AgentLivenessOptions) {
    this.#o = options;
  }

  /** Stop waiting for summaries here; the returns stay in the store for the next start or leader. */
  stop(): void {
    this.#stopped = true;
    for (const { timer } of this.#returns.values()) clearTimeout(timer);
    this.#returns.clear();
  }

  /**
   * Wait again for the returns the store holds (after a restart, or on becoming leader):
   * each summary goes out when the agent's backlog drained, or when what is left of the
   * summary delay ran out (at once when it already has).
   */
  async resume(): Promise<void> {
    const pending = await this.#o.store.listAgentReturns();
    for (const back of pending) this.#wait(back);
    if (pending.length > 0) this.#o.logger.info({ agents: pending.map((r) => r.agent) }, 'waiting again for return summaries');
  }

  /**
   * An admitted agent (its record from before this Hello). A silent one is back: start
   * waiting for its backlog. One back before this connection whose summary is still due
   * (an earlier session, a collector since restarted, another collector) is waited for here
   * too: this session's heartbeats tell when its backlog drained.
   */
  async connected(before: AgentRecord): Promise<void> {
    const now = this.#o.now();
    const back = before.silentSince === null ? undefined : await this.#o.store.beginAgentReturn(before.id, before.lastSeenAt ?? before.silentSince, now);
    if (back) {
      const event = await this.#o.store.appendAgentEvent(before.id, 'agent_back', now, `${before.name}: back after ${humanDuration(now - back.lastHeardAt)} of silence`);
      // The recovery of the silent page; the summary of the outage follows once the backlog drained.
      this.#o.notify([event]);
      this.#o.publishEvent(event);
      this.#o.logger.info({ agent: before.name, silentMs: now - back.lastHeardAt }, 'agent back');
      this.#wait(back);
      await this.#o.publishChecks(before.name);
    } else {
      for (const earlier of await this.#o.store.listAgentReturns(before.id)) this.#wait(earlier);
    }
  }

  /** The agent's heartbeat: an empty backlog after a return completes the summary. */
  async heartbeat(agentId: number, backlog: number): Promise<void> {
    if (backlog === 0 && this.#returns.has(agentId)) await this.#summarise(agentId, true);
  }

  /** Arm the summary timer of a return, for what is left of the summary delay since it came back. */
  #wait(back: AgentReturnRecord): void {
    // A resume still reading the store when the collector stops arms nothing.
    if (this.#stopped) return;
    const armed = this.#returns.get(back.agentId);
    if (armed?.backAt === back.backAt && armed.silentSince === back.silentSince) return;
    // A timer left from an earlier return (it ended in silence seen by another collector's
    // sweep) must not finish this one early.
    if (armed) clearTimeout(armed.timer);
    this.#arm(back, Math.max(0, back.backAt + this.#o.summaryAfterMs() - this.#o.now()));
  }

  #arm(back: Pick<AgentReturnRecord, 'agentId' | 'backAt' | 'silentSince'>, delayMs: number): void {
    const timer = setTimeout(() => this.#summarise(back.agentId, false).catch((err: unknown) => this.#o.failed('return summary', err)), delayMs);
    timer.unref();
    this.#returns.set(back.agentId, { backAt: back.backAt, silentSince: back.silentSince, timer });
  }

  async #summarise(agentId: number, drained: boolean): Promise<void> {
    const armed = this.#returns.get(agentId);
    if (armed === undefined) return;
    this.#returns.delete(agentId);
    clearTimeout(armed.timer);
    // The store takes the return in the same commit as the event: undefined when another
    // collector (or an earlier run of this one) already summarised it, or it went silent again.
    let event: EventRecord | undefined;
    try {
      event = await this.#o.store.finishAgentReturn(agentId, this.#o.now(), (summary) => summaryMessage(summary, drained));
    } catch (err: unknown) {
      // Nothing was recorded and the return is still in the store: wait for it again (a
      // drained heartbeat may complete it sooner), unless something else armed meanwhile.
      if (!this.#stopped && !this.#returns.has(agentId)) this.#arm({ agentId, backAt: armed.backAt, silentSince: armed.silentSince }, this.#o.retryMs ?? RETRY_MS);
      throw err;
    }
    if (!event) return;
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
      // The store forgot its return with the silence: that outage did not end.
      clearTimeout(this.#returns.get(agent.id)?.timer);
      this.#returns.delete(agent.id);
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
