import { statusName } from '@outpost/protocol';
import { AgentLiveness } from './agent-liveness.js';
import { eventView } from './api-views.js';
import { labelsFor, type CollectorConfig } from './collector-config.js';
import type { Counters } from './counters.js';
import type { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import type { AlertEvent, ProblemSnapshot } from './notify/types.js';
import { problemSnapshots, toAlertEvents } from './state-alerts.js';
import { listAgentViews, listCheckViews, listStaleCheckViews } from './state-views.js';
import type { AgentRecord, CollectorStore, EventRecord, IngestOutcome } from './store.js';

// The state engine's front: what sessions, the API and the segmentation monitor call, the
// leader's sweep timer (silence, flapping ends, reminders), and the live feed. Liveness is in
// agent-liveness.ts, the views in state-views.ts, the alert shapes in state-alerts.ts.

export { humanDuration } from './agent-liveness.js';

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

/** Heartbeat interval assumed for agents that did not state theirs. */
const DEFAULT_HEARTBEAT_MS = 10_000;
/** Live messages per ingest before the console is told to reload instead. */
const MAX_LIVE_MESSAGES = 200;

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
  readonly #liveness: AgentLiveness;
  #timer: NodeJS.Timeout | undefined;
  #sweeps = 0;
  #sweeping = false;
  /** Checks the console was last told are stale (agent, newline, check id). */
  #stale = new Set<string>();
  // With several collectors on one database only the leader sweeps for silence, flapping and
  // reminders (see PgLeadership); every collector tells its own consoles of stale checks.
  #leader = true;
  #leaderSince = 0;

  constructor(options: StateEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#liveness = new AgentLiveness({
      store: options.store,
      logger: options.logger,
      counters: options.counters,
      now: this.#now,
      summaryAfterMs: () => this.#o.config.state.summaryAfterMs,
      graceFor: (agent) => this.graceFor(agent),
      judgedFrom: () => Math.max(this.#o.startedAt, this.#leaderSince),
      notify: (events) => this.#notify(events),
      publishEvent: (event) => this.#o.feed.publish('event', eventView(event)),
      publishAgent: (name) => this.#publishAgent(name),
      publishChecks: (agent) => this.#publishChecks(agent),
      failed: (what, err) => this.#failed(what, err),
    });
  }

  start(): void {
    this.#timer = setInterval(() => void this.#sweep(), this.#o.sweepMs ?? 1_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#liveness.stop();
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
    if (leader && !this.#leader) {
      this.#leaderSince = this.#now();
      // Returns whose summary is still due, from before a restart or on a collector that left.
      this.#liveness.resume().catch((err: unknown) => this.#failed('resuming return summaries', err));
    }
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
    return listAgentViews({
      store: this.#o.store,
      connectedAgents: this.#o.connectedAgents,
      graceFor: (agent) => this.graceFor(agent),
      labelsFor: (agent) => this.labelsFor(agent),
    });
  }

  /** Checks as the API shows them: UNKNOWN while their satellite is silent or while they are stale. */
  async checkViews(agent?: string, checkId?: string) {
    return listCheckViews(this.#o.store, agent, checkId);
  }

  /** After a commit: notify what is eligible, tell the console. */
  async afterIngest(agent: AgentRecord, outcomes: readonly IngestOutcome[]): Promise<void> {
    const events = outcomes.flatMap((o) => o.events);
    const changed = [...new Set(outcomes.flatMap((o) => o.changedChecks))];
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
    await this.#liveness.connected(before);
    this.#publishAgent(before.name);
  }

  agentDisconnected(name: string): void {
    this.#publishAgent(name);
  }

  /** The agent's heartbeat: an empty backlog after a return completes the summary. */
  async heartbeat(agentId: number, _name: string, backlog: number): Promise<void> {
    await this.#liveness.heartbeat(agentId, backlog);
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
    this.#o.alerts.submit(toAlertEvents(events, (agent) => this.labelsFor(agent)));
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      this.#sweeps += 1;
      if (this.#sweeps % 10 === 0) await this.#publishStaleness();
      // The rest writes and notifies: the leader's alone.
      if (!this.#leader) return;
      await this.#liveness.sweep();
      if (this.#sweeps % 5 === 0) await this.#flapping();
      if (this.#sweeps % 30 === 0) this.#o.alerts.remind(await problemSnapshots(this.#o.store, (agent) => this.labelsFor(agent)));
    } catch (err: unknown) {
      this.#o.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'state sweep failed');
    } finally {
      this.#sweeping = false;
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
      // An imported flapping start was never told: neither is its stop (it keeps the start's reason).
      if (event.suppressed === null) this.#notify([event]);
      this.#o.feed.publish('event', eventView(event));
      for (const view of await this.checkViews(f.agent, f.checkId)) this.#o.feed.publish('check', view);
    }
  }

  /**
   * Tell the console of checks that turned stale since the last look, and of those that no
   * longer are: staleness comes with time, not with a result (and a result that ends it may
   * change nothing else, so its ingest may publish nothing). Every collector does this for
   * its own consoles; it only reads.
   */
  async #publishStaleness(): Promise<void> {
    if (this.#o.feed.size === 0) {
      this.#stale.clear();
      return;
    }
    const stale = new Map((await listStaleCheckViews(this.#o.store)).map((view) => [`${view.agent}\n${view.check}`, view]));
    for (const [key, view] of stale) if (!this.#stale.has(key)) this.#o.feed.publish('check', view);
    for (const key of this.#stale) {
      if (stale.has(key)) continue;
      const [agent, check] = key.split('\n') as [string, string];
      for (const view of await this.checkViews(agent, check)) this.#o.feed.publish('check', view);
    }
    this.#stale = new Set(stale.keys());
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
