import type { KeyPair } from '@outpost/protocol';
import { Status } from '@outpost/protocol';
import { labelsFor, type CollectorConfig } from './collector-config.js';
import type { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import { checkIdFor, generateChecks, inSegment } from './segmentation-checks.js';
import { syncGeneratedChecks } from './segmentation-config.js';
import { describeFinding, driftPaged, judgeCell, parseFindings, policyMentions, type AgentObservation, type CellVerdict } from './segmentation-matrix.js';
import type { SegmentationPolicy } from './segmentation-policy.js';
import type { AgentRecord, CellColour, CheckStateRecord, CollectorStore, EventRecord } from './store.js';

/** Where raised events go: the state engine, which notifies and tells the console. */
export interface EventSink {
  raise(events: readonly EventRecord[]): void;
}

export interface SegmentationMonitorOptions {
  store: CollectorStore;
  config: CollectorConfig;
  events: EventSink;
  feed: LiveFeed;
  logger: Logger;
  /** Signs the generated remote config versions. */
  keyPair: KeyPair;
  /** How often cells are evaluated and generated checks synced (default 1 s). */
  tickMs?: number;
  now?: () => number;
}

const COLOUR_STATUS: Record<CellColour, number> = { green: Status.OK, amber: Status.WARNING, red: Status.CRITICAL, grey: Status.UNKNOWN };
/** Transcripts read per result are kept this many at most (one per agent and rule is enough). */
const MAX_CACHED_FINDINGS = 4_096;

/**
 * Keeps the segmentation matrix: pushes each segment agent its generated checks (merged
 * into its remote config, a new version only when they differ), evaluates every cell from
 * the newest results of those checks, stores colour changes, and raises a
 * `segmentation_drift` event for each (paged when a cell turns red or amber or recovers
 * from it) and an `unexpected_service` event for an open port no target names, once.
 *
 * @example
 * const monitor = new SegmentationMonitor({ store, config, events: engine, feed, logger, keyPair });
 * monitor.start();
 * const { cells } = await monitor.matrix();
 */
export class SegmentationMonitor {
  readonly #o: SegmentationMonitorOptions;
  readonly #now: () => number;
  #config: CollectorConfig;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #leader = true;
  /** Per agent id, the generated checks last synced (JSON), so unchanged ones cost no query. */
  readonly #synced = new Map<number, string>();
  readonly #findings = new Map<string, AgentObservation['findings']>();
  #verdicts: CellVerdict[] = [];

  constructor(options: SegmentationMonitorOptions) {
    this.#o = options;
    this.#config = options.config;
    this.#now = options.now ?? Date.now;
  }

  get policy(): SegmentationPolicy | undefined {
    return this.#config.segmentation;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.tickMs ?? 1_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** With several collectors on one database only the leader evaluates and raises events. */
  setLeader(leader: boolean): void {
    this.#leader = leader;
  }

  /** A reloaded config: checks are regenerated (pushed where they differ) at the next tick. */
  setConfig(config: CollectorConfig): void {
    this.#config = config;
    this.#synced.clear();
  }

  /** The latest verdict per cell, with the stored colour since when. */
  async matrix(): Promise<{ verdicts: CellVerdict[]; cells: Awaited<ReturnType<CollectorStore['listSegmentationCells']>> }> {
    return { verdicts: this.#verdicts, cells: await this.#o.store.listSegmentationCells() };
  }

  /** One round: sync generated checks, judge the cells, record and raise what changed. */
  async tick(): Promise<void> {
    const policy = this.#config.segmentation;
    if (this.#running || !this.#leader) return;
    this.#running = true;
    try {
      const agents = (await this.#o.store.listAgents()).filter((a) => a.status === 'active');
      await this.#sync(policy, agents);
      if (policy !== undefined) await this.#evaluate(policy, agents);
    } catch (err: unknown) {
      this.#o.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'segmentation round failed');
    } finally {
      this.#running = false;
    }
  }

  async #sync(policy: SegmentationPolicy | undefined, agents: AgentRecord[]): Promise<void> {
    for (const agent of agents) {
      const generated = policy === undefined ? [] : generateChecks(policy, agent.name, labelsFor(this.#config, agent.name));
      const key = JSON.stringify(generated);
      if (this.#synced.get(agent.id) === key) continue;
      const version = await syncGeneratedChecks(this.#o.store, this.#o.keyPair, agent, generated, this.#now());
      this.#synced.set(agent.id, key);
      if (version !== undefined) this.#o.logger.info({ agent: agent.name, version, checks: generated.length }, 'segmentation checks pushed');
    }
  }

  async #evaluate(policy: SegmentationPolicy, agents: AgentRecord[]): Promise<void> {
    const now = this.#now();
    const states = new Map<string, CheckStateRecord>();
    for (const s of await this.#o.store.listCheckStates()) if (s.checkId.startsWith('seg:')) states.set(`${s.agent}\u0000${s.checkId}`, s);
    const verdicts: CellVerdict[] = [];
    const raised: EventRecord[] = [];
    for (const rule of policy.rules) {
      const members = agents.filter((a) => inSegment(policy, rule.from, a.name, labelsFor(this.#config, a.name)));
      const seen: AgentObservation[] = [];
      for (const agent of members) {
        const state = states.get(`${agent.name}\u0000${checkIdFor(rule)}`);
        const findings = state === undefined || state.observation === 'compliant' ? undefined : await this.#findingsOf(agent.id, state.resultId);
        seen.push({ agent: agent.name, agentId: agent.id, silent: agent.silentSince !== null, state, findings });
        for (const f of findings?.violations ?? []) {
          if (policyMentions(policy, f.host, f.port) || !(await this.#o.store.markUnexpectedService(f.host, f.port, now))) continue;
          const message = `unexpected service on ${describeFinding(f)}, seen by ${agent.name} (segment ${rule.from}); no segmentation target names this port`;
          raised.push(await this.#o.store.appendAgentEvent(agent.id, 'unexpected_service', now, message, Status.WARNING));
        }
      }
      const verdict = judgeCell(rule, seen, policy.intervalMs, now);
      verdicts.push(verdict);
      const evidence = JSON.stringify({ action: verdict.action, ...(verdict.reason === undefined ? {} : { reason: verdict.reason }), agents: verdict.agents });
      const previous = await this.#o.store.putSegmentationCell({ from: rule.from, to: rule.to, colour: verdict.colour, evidence }, now);
      if (previous === undefined || previous === null) continue;
      const event = await this.#driftEvent(verdict, previous, now);
      if (event) raised.push(event);
    }
    this.#verdicts = verdicts;
    if (raised.length > 0) this.#o.events.raise(raised);
    if (this.#o.feed.size > 0) this.#o.feed.publish('segmentation', { cells: verdicts.map((v) => ({ from: v.from, to: v.to, colour: v.colour })) });
  }

  /** The event for a colour change; paged only when it turns red or amber, or recovers from it. */
  async #driftEvent(verdict: CellVerdict, previous: CellColour, now: number): Promise<EventRecord | undefined> {
    const culprit = verdict.agents.find((a) => a.colour === verdict.colour) ?? verdict.agents[0];
    // Events hang off an agent; a segment without agents has nobody to record it under.
    if (!culprit) return undefined;
    // Only changes are stored, so before a grey entry comes a colour that is not grey.
    const lastKnown = previous !== 'grey' ? previous : (await this.#o.store.segmentationCellHistory(verdict.from, verdict.to, 3)).slice(1).find((h) => h.colour !== 'grey')?.colour;
    const detail = culprit.ports.length > 0 ? culprit.ports.slice(0, 5).map(describeFinding).join(', ') : culprit.reason;
    const at = culprit.checkedAt === null ? '' : ` at ${new Date(culprit.checkedAt).toISOString()}`;
    const message = `segmentation ${verdict.from} -> ${verdict.to} (${verdict.action}): ${previous} -> ${verdict.colour}: ${detail}, seen by ${culprit.agent}${at}`;
    const stored = await this.#o.store.appendAgentEvent(culprit.agentId, 'segmentation_drift', now, message, COLOUR_STATUS[verdict.colour]);
    const paged = driftPaged(lastKnown, verdict.colour);
    // `from` is not stored for agent-level events; the notification carries it so a recovery matches its rule.
    return { ...stored, from: COLOUR_STATUS[lastKnown ?? previous], suppressed: paged ? null : 'no_data' };
  }

  async #findingsOf(agentId: number, resultId: number): Promise<AgentObservation['findings']> {
    const key = `${agentId}:${resultId}`;
    if (this.#findings.has(key)) return this.#findings.get(key);
    const findings = parseFindings(await this.#o.store.resultTranscript(agentId, resultId));
    if (this.#findings.size >= MAX_CACHED_FINDINGS) this.#findings.clear();
    this.#findings.set(key, findings);
    return findings;
  }
}
