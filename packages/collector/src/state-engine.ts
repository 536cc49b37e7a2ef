import { Status, statusName } from '@outpost/protocol';
import { agentView, checkView, eventView } from './api-views.js';
import { labelsFor, type CollectorConfig } from './collector-config.js';
import type { Counters } from './counters.js';
import type { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import type { AlertEvent, ProblemSnapshot, StatusName } from './notify/types.js';
import type { AgentRecord, CollectorStore, EventRecord, IngestOutcome } from './store.js';

/** Where notifiable events go (the NotificationService). Must not block. */
export interface AlertSink {
  submit(events: readonly AlertEvent[]): void;
  remind(problems: readonly ProblemSnapshot[]): void;
}

export interface StateEngineOptions {
  store: CollectorStore;
  config: CollectorConfig;
  alerts: AlertSink;
  feed: LiveFeed;
  logger: Logger;
  counters: Counters;
  connectedAgents: () => Set<number>;
  /** Agents last seen before the collector started are judged from its start, not their last word. */
  startedAt: number;
  now?: () => number;
  /** How often liveness is swept (default 1 s); flapping every 5 sweeps, reminders every 30. */
  sweepMs?: number;
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

/** Heartbeat interval assumed for agents that did not state theirs. */
const DEFAULT_HEARTBEAT_MS = 10_000;
/** Live messages per ingest before the console is told to reload instead. */
const MAX_LIVE_MESSAGES = 200;

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
 * The collector's state engine above the store: satellite liveness (silent after a grace
 * period: one agent event, one notification, its checks UNKNOWN), the return summary after
 * a backlog drained, flapping ends, reminders, and the live feed. Check transitions
 * themselves are recorded in the store's ingest transaction; this turns them into
 * notifications (never the suppressed ones) and console updates.
 *
 * @example
 * const engine = new StateEngine({ store, config, alerts: notifications, feed, logger, counters, connectedAgents, startedAt: Date.now() });
 * engine.start();
 * await engine.afterIngest(agent, outcomes);
 */
export class StateEngine {
  #o: StateEngineOptions;
  readonly #now: () => number;
  readonly #returns = new Map<number, Return>();
  #timer: NodeJS.Timeout | undefined;
  #sweeps = 0;
  #sweeping = false;
  // With several collectors on one database only the leader sweeps (see PgLeadership).
  #leader = true;
  #leaderSince = 0;

  constructor(options: StateEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#timer = setInterval(() => void this.#sweep(), this.#o.sweepMs ?? 1_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const r of this.#returns.values()) clearTimeout(r.timer);
    this.#returns.clear();
  }

  /** A reloaded config: labels, grace and summary delay apply from the next event or sweep. */
  setConfig(config: CollectorConfig): void {
    this.#o = { ...this.#o, config };
  }

  /**
   * Whether this collector runs the sweeps (silence, flapping ends, reminders). Agents are
   * judged from when it became leader at the earliest: they may have been on the old one.
   */
  setLeader(leader: boolean): void {
    if (leader && !this.#leader) this.#leaderSince = this.#now();
    this.#leader = leader;
  }

  /** 3 heartbeat intervals and 10 s, unless the config fixes it. */
  graceFor(agent: AgentRecord): number {
    return this.#o.config.state.graceMs ?? 3 * (agent.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS) + 10_000;
  }

  labelsFor(agent: string): Record<string, string> {
    return labelsFor(this.#o.config, agent);
  }

  /** Every agent as the API shows it. */
  async agentViews() {
    const { store } = this.#o;
    const [agents, gaps, states] = await Promise.all([store.listAgents(), store.gapTotals(), store.listCheckStates()]);
    const silent = new Set(agents.filter((a) => a.silentSince !== null).map((a) => a.name));
    const counts = new Map<string, Record<StatusName, number>>();
    for (const s of states) {
      const c = counts.get(s.agent) ?? { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
      c[(silent.has(s.agent) ? 'UNKNOWN' : statusName(s.status)) as StatusName] += 1;
      counts.set(s.agent, c);
    }
    const connected = this.#o.connectedAgents();
    return agents.map((a) =>
      agentView(a, {
        connected: connected.has(a.id),
        graceMs: this.graceFor(a),
        labels: this.labelsFor(a.name),
        gaps: gaps.get(a.id),
        checks: counts.get(a.name) ?? { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 },
      }),
    );
  }

  /** Checks as the API shows them: UNKNOWN while their satellite is silent. */
  async checkViews(agent?: string, checkId?: string) {
    const { store } = this.#o;
    const [agents, states] = await Promise.all([store.listAgents(), store.listCheckStates(agent, checkId)]);
    const silent = new Set(agents.filter((a) => a.silentSince !== null).map((a) => a.name));
    return states.map((s) => checkView(s, silent.has(s.agent)));
  }

  /** After a commit: notify what is eligible, count incidents of a returning agent, tell the console. */
  async afterIngest(agent: AgentRecord, outcomes: readonly IngestOutcome[]): Promise<void> {
    const events = outcomes.flatMap((o) => o.events);
    const changed = [...new Set(outcomes.flatMap((o) => o.changedChecks))];
    const back = this.#returns.get(agent.id);
    if (back) {
      back.results += outcomes.reduce((n, o) => n + o.stored, 0);
      back.incidents += events.filter((e) => e.kind === 'check' && e.backfilled && e.to !== Status.OK && e.from !== null).length;
    }
    if (events.length > 0) {
      this.#o.counters.add('state.events', events.length);
      this.#notify(events.filter((e) => e.suppressed === null));
    }
    if (this.#o.feed.size === 0) return;
    if (events.length + changed.length > MAX_LIVE_MESSAGES) {
      this.#publishAgent(agent.name);
      return;
    }
    for (const e of events) this.#o.feed.publish('event', eventView(e));
    for (const checkId of changed) for (const view of await this.checkViews(agent.name, checkId)) this.#o.feed.publish('check', view);
  }

  /** An admitted agent (its record from before this Hello). A silent one is back: start waiting for its backlog. */
  async agentConnected(before: AgentRecord): Promise<void> {
    const now = this.#now();
    if (before.silentSince !== null && (await this.#o.store.setAgentSilence(before.id, null))) {
      const lastHeardAt = before.lastSeenAt ?? before.silentSince;
      const event = await this.#o.store.appendAgentEvent(before.id, 'agent_back', now, `${before.name}: back after ${humanDuration(now - lastHeardAt)} of silence`);
      // The recovery of the silent page; the summary of the outage follows once the backlog drained.
      this.#notify([event]);
      this.#o.feed.publish('event', eventView(event));
      this.#o.logger.info({ agent: before.name, silentMs: now - lastHeardAt }, 'agent back');
      const timer = setTimeout(() => this.#summarise(before.id, before.name, false).catch((err: unknown) => this.#failed('return summary', err)), this.#o.config.state.summaryAfterMs);
      timer.unref();
      this.#returns.set(before.id, { silentSince: before.silentSince, lastHeardAt, backAt: now, results: 0, incidents: 0, timer });
      await this.#publishChecks(before.name);
    }
    this.#publishAgent(before.name);
  }

  agentDisconnected(name: string): void {
    this.#publishAgent(name);
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
    const event = await this.#o.store.appendAgentEvent(agentId, 'summary', this.#now(), message);
    this.#o.feed.publish('event', eventView(event));
    this.#notify([event]);
  }

  /**
   * Events raised outside ingest (segmentation drift, unexpected services): notified like
   * any other and shown live. `from` may be set here when the store records none.
   */
  raise(events: readonly EventRecord[]): void {
    if (events.length === 0) return;
    this.#o.counters.add('state.events', events.length);
    this.#notify(events.filter((e) => e.suppressed === null));
    for (const e of events) this.#o.feed.publish('event', eventView(e));
  }

  #notify(events: readonly EventRecord[]): void {
    if (events.length === 0) return;
    this.#o.alerts.submit(
      events.map((e) => ({
        id: e.id,
        kind: e.kind,
        agent: e.agent,
        check: e.checkId,
        at: e.at,
        from: e.from === null ? null : (statusName(e.from) as StatusName),
        to: e.to === null ? null : (statusName(e.to) as StatusName),
        previousDurationMs: e.previousDurationMs,
        backfilled: e.backfilled,
        message: e.message,
        labels: this.labelsFor(e.agent),
      })),
    );
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping || !this.#leader) return;
    this.#sweeping = true;
    try {
      this.#sweeps += 1;
      await this.#silence();
      if (this.#sweeps % 5 === 0) await this.#flapping();
      if (this.#sweeps % 30 === 0) this.#o.alerts.remind(await this.#problems());
    } catch (err: unknown) {
      this.#o.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'state sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }

  /** Agents past their grace period become silent: one event, one notification, checks UNKNOWN. */
  async #silence(): Promise<void> {
    const now = this.#now();
    for (const agent of await this.#o.store.listAgents()) {
      if (agent.status !== 'active' || agent.lastSeenAt === null || agent.silentSince !== null) continue;
      const grace = this.graceFor(agent);
      const heardAt = Math.max(agent.lastSeenAt, this.#o.startedAt, this.#leaderSince);
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
      this.#notify([event]);
      this.#o.feed.publish('event', eventView(event));
      this.#publishAgent(agent.name);
      await this.#publishChecks(agent.name);
    }
  }

  /** A flapping check settles when its changes in the window fall to half the threshold. */
  async #flapping(): Promise<void> {
    const { flapChanges, flapWindowMs } = this.#o.config.state;
    const now = this.#now();
    for (const f of await this.#o.store.listFlapping(now - flapWindowMs)) {
      if (f.changes > Math.floor(flapChanges / 2)) continue;
      const event = await this.#o.store.endFlapping(f.agentId, f.checkId, now, `${f.agent}/${f.checkId}: stopped flapping; now ${statusName(f.status)}`);
      if (!event) continue;
      this.#notify([event]);
      this.#o.feed.publish('event', eventView(event));
      for (const view of await this.checkViews(f.agent, f.checkId)) this.#o.feed.publish('check', view);
    }
  }

  async #problems(): Promise<ProblemSnapshot[]> {
    const agents = await this.#o.store.listAgents();
    const silent = agents.filter((a) => a.silentSince !== null);
    const problems: ProblemSnapshot[] = silent.map((a) => ({
      agent: a.name, check: null, status: 'UNKNOWN', since: a.silentSince!, labels: this.labelsFor(a.name), message: `${a.name}: satellite silent`,
    }));
    const silentNames = new Set(silent.map((a) => a.name));
    for (const s of await this.#o.store.listCheckStates()) {
      if (s.status === Status.OK || s.flapping || silentNames.has(s.agent)) continue;
      problems.push({ agent: s.agent, check: s.checkId, status: statusName(s.status) as StatusName, since: s.since, labels: this.labelsFor(s.agent), message: s.message });
    }
    return problems;
  }

  async #publishChecks(agent: string): Promise<void> {
    if (this.#o.feed.size === 0) return;
    const views = await this.checkViews(agent);
    if (views.length > MAX_LIVE_MESSAGES) return;
    for (const view of views) this.#o.feed.publish('check', view);
  }

  #publishAgent(name: string): void {
    if (this.#o.feed.size === 0) return;
    this.agentViews().then(
      (views) => {
        const view = views.find((v) => v.name === name);
        if (view) this.#o.feed.publish('agent', view);
      },
      (err: unknown) => this.#failed('live agent view', err),
    );
  }

  /** Background work of the engine fails loudly in the log and the counters, never the process. */
  #failed(what: string, err: unknown): void {
    this.#o.counters.add('state.errors');
    this.#o.logger.error({ err: err instanceof Error ? err.stack : String(err) }, `state engine: ${what} failed`);
  }
}

