// The state engine's decisions for one check, as a pure function: given the check's state
// row, its freshly stored results and the rows read around them, which events to insert,
// move or delete and what the state row becomes. Both stores (SQLite, PostgreSQL) read,
// call `planTimeline` and write: the rules live here once.

import { Status, statusName, type Result } from '@outpost/protocol';
import { compareTimeline, reconcile, transitionsAlong, type RecordedTransition, type TimelinePoint, type Transition } from './state-transitions.js';
import type { CheckStateRecord, EventRecord, StateEngineSettings } from './store.js';

/** A check's state row, as far as the timeline needs it. */
export interface TimelineState {
  status: number;
  startedAt: number;
  resultId: number;
  since: number;
  lastOk: number | null;
  flapping: boolean;
  everyMs: number | null;
  gapMs: number | null;
  configHash: string | null;
}

/** A stored result on the timeline, with the text its change message quotes. */
export interface PlanPoint extends TimelinePoint {
  message: string;
}

/** Position on a check's timeline. */
export interface TimelineKey {
  at: number;
  resultId: number;
}

/**
 * How far ahead of the collector's clock (after the agent's own clock offset) a result may
 * claim to be before it is kept out of the state. One result stamped in 2030 by a clock
 * fault would otherwise become the check's state and turn every later, truly timed result
 * into "late history" that is never notified, until 2030. Such results are stored (exactly
 * once, visible in the API) and counted, but do not move state or events.
 */
export const FUTURE_ALLOWANCE_MS = 5 * 60_000;

/** True when a result's check time lies past the allowance ahead of the collector's clock. */
export function fromTheFuture(startedAtMs: number, clockOffsetMs: number, receivedAt: number): boolean {
  return startedAtMs + clockOffsetMs > receivedAt + FUTURE_ALLOWANCE_MS;
}

export const NO_EARLIER: TimelineKey = { at: Number.MIN_SAFE_INTEGER, resultId: 0 };
export const NO_LATER: TimelineKey = { at: Number.MAX_SAFE_INTEGER, resultId: Number.MAX_SAFE_INTEGER };

/** Fresh results split around the state, and what the store must read before planning. */
export interface TimelineSplit {
  /** Late history: before the state's result, in timeline order. */
  older: Result[];
  /** After the state's result, in timeline order. */
  newer: Result[];
  /** Set when `older` is not empty: read the stored points and events around this stretch. */
  history?: { first: TimelineKey; last: TimelineKey };
  /** Set when a live change may tip flapping: read the check events after this check time. */
  recentSince?: number;
}

/** Rows read around late history (see {@link historyWindow} for the bounds). */
export interface HistoryRows {
  /** The stored point just before the first late result, if any. */
  prev: PlanPoint | undefined;
  /** The stored point just after the last late result, if any. */
  next: PlanPoint | undefined;
  /** Stored points with first.at <= at <= last.at (the planner trims the ends by id). */
  range: PlanPoint[];
  /** Check events recorded in (low, high], in timeline order. */
  recorded: RecordedTransition[];
  /** Latest check-event time outside (low, high]; null when none. */
  latestOutside: number | null;
}

/**
 * A check event recorded after `recentSince`, whatever its `from`: late history in the same
 * batch may give a check's first event a previous status, which makes it count as a change.
 */
export interface RecentChange {
  id: number;
  at: number;
  from: number | null;
}

export interface PlannedEvent {
  kind: 'check' | 'flapping_start';
  at: number;
  resultId: number;
  from: number | null;
  to: number;
  backfilled: boolean;
  suppressed: string | null;
  message: string;
  previousDurationMs: number | null;
}

/** A check's state row as the store writes it: the record without its agent and check names. */
export type NewStateRow = Omit<CheckStateRecord, 'agent' | 'checkId'>;

export interface TimelinePlan {
  deletes: number[];
  moves: { id: number; at: number; resultId: number; from: number | null; message: string }[];
  /** In this order: their ids ascend as inserted, which the event list relies on. */
  inserts: PlannedEvent[];
  /** A new newest result: the whole row; only late history: since and last OK. */
  state: { kind: 'upsert'; row: NewStateRow } | { kind: 'history'; since: number; lastOk: number | null } | undefined;
  /** Status, since or flapping moved: the console should hear of it. */
  changed: boolean;
}

/** "lab-1/web: OK -> CRITICAL: connection refused"; the first result of a check has no arrow. */
export function changeMessage(agent: string, checkId: string, from: number | null, to: number, text: string): string {
  const change = from === null ? statusName(to) : `${statusName(from)} -> ${statusName(to)}`;
  return `${agent}/${checkId}: ${change}${text ? `: ${text}` : ''}`;
}

/** Sort the fresh results (in place) and tell the store what to read before planning. */
export function splitFresh(state: TimelineState | undefined, fresh: Result[], settings: StateEngineSettings): TimelineSplit {
  fresh.sort((a, b) => a.startedAtMs - b.startedAtMs || a.resultId - b.resultId);
  const stateKey = state ? { at: state.startedAt, resultId: state.resultId } : undefined;
  const older = stateKey ? fresh.filter((r) => compareTimeline({ at: r.startedAtMs, resultId: r.resultId }, stateKey) < 0) : [];
  const newer = older.length === 0 ? fresh : fresh.slice(older.length);
  const split: TimelineSplit = { older, newer };
  if (older.length > 0) {
    const first = older[0]!;
    const last = older[older.length - 1]!;
    split.history = { first: { at: first.startedAtMs, resultId: first.resultId }, last: { at: last.startedAtMs, resultId: last.resultId } };
  }
  let status = state?.status ?? null;
  for (const r of newer) {
    if (status !== null && r.status !== status) {
      split.recentSince = newer[0]!.startedAtMs - settings.flapWindowMs;
      break;
    }
    status = r.status;
  }
  return split;
}

/** The stretch whose recorded events late history may change: (low, high]. */
export function historyWindow(prev: TimelineKey | undefined, next: TimelineKey | undefined): { low: TimelineKey; high: TimelineKey } {
  return { low: prev ?? NO_EARLIER, high: next ?? NO_LATER };
}

/** An event as the store reports it, once inserted under `id`. */
export function plannedEventRecord(e: PlannedEvent, id: number, agent: string, checkId: string): EventRecord {
  return {
    id, kind: e.kind, agent, checkId, at: e.at, resultId: e.resultId, from: e.from, to: e.to,
    previousDurationMs: e.previousDurationMs, backfilled: e.backfilled, suppressed: e.suppressed, message: e.message,
  };
}

export interface PlanInput {
  agent: string;
  checkId: string;
  /** When these results reached the collector (its clock). */
  receivedAt: number;
  settings: StateEngineSettings;
  state: TimelineState | undefined;
  split: TimelineSplit;
  /** Required when `split.history` is set. */
  history?: HistoryRows;
  /** Check events after `split.recentSince`; empty when it is unset. */
  recent: readonly RecentChange[];
  /**
   * For results no one hears of live (an air-gap import): each new event is recorded as
   * not notified, for this reason, unless it has a reason of its own.
   */
  suppressAs?: string | undefined;
}

/** Why an imported event was not notified (docs/air-gap.md). */
export const IMPORTED = 'imported';

/**
 * Plan what one check's newly stored results do to its timeline. Results newer than the
 * state advance it and record live changes (flapping counted over the check-time window);
 * late results reconcile the changes recorded in the stretch they fall into.
 *
 * @example
 * const split = splitFresh(state, fresh, settings);
 * const plan = planTimeline({ agent: 'lab-1', checkId: 'web', settings, state, split, history, recent });
 * // then: delete plan.deletes, apply plan.moves, insert plan.inserts, write plan.state
 */
export function planTimeline(input: PlanInput): TimelinePlan {
  const { agent, checkId, settings, state, split } = input;
  const plan: TimelinePlan = { deletes: [], moves: [], inserts: [], state: undefined, changed: false };
  const recent = new Map(input.recent.map((c) => [c.id, { at: c.at, from: c.from }]));
  const added: { at: number; from: number | null }[] = [];

  let lastOk = state?.lastOk ?? null;
  for (const r of split.older) if (r.status === Status.OK && (lastOk === null || r.startedAtMs > lastOk)) lastOk = r.startedAtMs;
  let since = state?.since ?? 0;
  if (split.history) {
    if (!input.history) throw new Error(`timeline plan for ${agent}/${checkId}: late results but no history rows read`);
    const latest = planHistory(agent, checkId, split.history.last, input.history, plan, recent, added);
    if (latest !== undefined) since = latest ?? since;
  }

  let status: number | null = state?.status ?? null;
  let flapping = state?.flapping ?? false;
  let newest: Result | undefined;
  for (const r of split.newer) {
    if (r.status !== status) {
      const event: PlannedEvent = {
        kind: 'check', at: r.startedAtMs, resultId: r.resultId, from: status, to: r.status, backfilled: false, suppressed: null,
        message: changeMessage(agent, checkId, status, r.status, r.message), previousDurationMs: status === null ? null : r.startedAtMs - since,
      };
      plan.inserts.push(event);
      if (status !== null) added.push({ at: r.startedAtMs, from: status });
      if (flapping) event.suppressed = 'flapping';
      // A check that starts out OK is news to nobody; one that starts out failing is a problem.
      else if (status === null && r.status === Status.OK) event.suppressed = 'initial';
      else if (status !== null && changesAfter(recent, added, r.startedAtMs - settings.flapWindowMs) >= settings.flapChanges) {
        // This change tips the check into flapping: it is told as the start of flapping instead.
        flapping = true;
        event.suppressed = 'flapping';
        const text = `changed status ${settings.flapChanges} times or more within ${Math.round(settings.flapWindowMs / 1000)} s; notifications paused`;
        plan.inserts.push({
          kind: 'flapping_start', at: r.startedAtMs, resultId: r.resultId, from: null, to: r.status, backfilled: false, suppressed: null,
          message: `${agent}/${checkId}: flapping: ${text}`, previousDurationMs: null,
        });
      }
      status = r.status;
      since = r.startedAtMs;
    }
    if (r.status === Status.OK) lastOk = r.startedAtMs;
    newest = r;
  }

  if (newest) {
    plan.state = {
      kind: 'upsert',
      row: {
        status: newest.status, observation: newest.observation, message: newest.message, startedAt: newest.startedAtMs, resultId: newest.resultId,
        since, durationUs: newest.durationUs, metrics: newest.metrics, lastOk, flapping,
        ...observedInterval(state, split.newer), configHash: newest.checkConfigHash, reportedAt: input.receivedAt,
      },
    };
  } else if (state) {
    plan.state = { kind: 'history', since, lastOk };
  }
  plan.changed = !state || status !== state.status || since !== state.since || flapping !== state.flapping;
  if (input.suppressAs !== undefined) for (const e of plan.inserts) e.suppressed ??= input.suppressAs;
  return plan;
}

/**
 * The check's interval after its new newest results (the state's newest, then `newer` in
 * timeline order): what the agent says with each result (`interval_ms`), or what the
 * results show when that is longer or unsaid. What they show is the longer of the last two
 * gaps between results made under one check config, never one gap alone: one gap can
 * mislead both ways, short when the agent restarted just after a run (it runs every check
 * at start), long across an outage (it sends each check's newest result first on
 * reconnect); two in a row of either are rare. A new config (its hash covers the interval,
 * defaults included) starts over.
 */
function observedInterval(state: TimelineState | undefined, newer: readonly Result[]): { everyMs: number | null; gapMs: number | null } {
  let everyMs = state?.everyMs ?? null;
  let gapMs = state?.gapMs ?? null;
  let prev = state ? { at: state.startedAt, configHash: state.configHash } : undefined;
  for (const r of newer) {
    if (prev && prev.configHash !== r.checkConfigHash) {
      everyMs = gapMs = null;
    } else if (prev && r.startedAtMs > prev.at) {
      const gap = r.startedAtMs - prev.at;
      everyMs = gapMs === null ? null : Math.max(gapMs, gap);
      gapMs = gap;
    }
    prev = { at: r.startedAtMs, configHash: r.checkConfigHash };
  }
  // What the agent says, unless its results come further apart (runs that outlast their
  // interval skip rounds; a saturated agent queues them): then what they show.
  const said = newer[newer.length - 1]?.intervalMs;
  return { everyMs: said ? Math.max(said, everyMs ?? 0) : everyMs, gapMs };
}

/**
 * Recompute the stretch late results fall into and reconcile it with the recorded events.
 * Returns undefined when nothing changed, else the latest change time over the whole check
 * (null when it has none).
 */
function planHistory(
  agent: string,
  checkId: string,
  last: TimelineKey,
  rows: HistoryRows,
  plan: TimelinePlan,
  recent: Map<number, { at: number; from: number | null }>,
  added: { at: number; from: number | null }[],
): number | null | undefined {
  const { low } = historyWindow(rows.prev, rows.next);
  // Results sharing a millisecond with the ends belong to the stretch only by id order.
  const points: PlanPoint[] = rows.range.filter((p) => compareTimeline(p, low) > 0 && compareTimeline(p, last) <= 0);
  if (rows.next) points.push(rows.next);
  const text = new Map(points.map((p) => [p.resultId, p.message]));
  const recomputed = transitionsAlong(points, rows.prev?.status ?? null);
  const outcome = reconcile(rows.recorded, recomputed);
  if (outcome.removed.length + outcome.moved.length + outcome.added.length === 0) return undefined;
  const message = (t: Transition) => changeMessage(agent, checkId, t.from, t.to, text.get(t.resultId) ?? '');

  plan.deletes.push(...outcome.removed);
  for (const id of outcome.removed) recent.delete(id);
  for (const { id, to } of outcome.moved) {
    plan.moves.push({ id, at: to.at, resultId: to.resultId, from: to.from, message: message(to) });
    if (recent.has(id)) recent.set(id, { at: to.at, from: to.from });
  }
  for (const t of outcome.added) {
    plan.inserts.push({ kind: 'check', at: t.at, resultId: t.resultId, from: t.from, to: t.to, backfilled: true, suppressed: null, message: message(t), previousDurationMs: null });
    added.push({ at: t.at, from: t.from });
  }

  const removed = new Set(outcome.removed);
  const moved = new Map(outcome.moved.map((m) => [m.id, m.to.at]));
  let latest = rows.latestOutside;
  const consider = (at: number) => (latest = latest === null ? at : Math.max(latest, at));
  for (const r of rows.recorded) if (!removed.has(r.id)) consider(moved.get(r.id) ?? r.at);
  for (const t of outcome.added) consider(t.at);
  return latest;
}

/** Changes (with a previous status) after `sinceMs`: those read from the store, as updated, plus those planned now. */
function changesAfter(recent: Map<number, { at: number; from: number | null }>, added: readonly { at: number; from: number | null }[], sinceMs: number): number {
  let n = 0;
  for (const c of recent.values()) if (c.from !== null && c.at > sinceMs) n += 1;
  for (const c of added) if (c.from !== null && c.at > sinceMs) n += 1;
  return n;
}
