// The pure part of the state engine: where a check's status changes along its timeline,
// and how newly found history moves the changes already recorded. No SQL, no clocks.

/** One result on a check's timeline, ordered by (at, resultId). */
export interface TimelinePoint {
  resultId: number;
  at: number;
  status: number;
}

/** A status change: the first result that had the new status. `from` is null for a check's first result. */
export interface Transition {
  resultId: number;
  at: number;
  from: number | null;
  to: number;
}

/** A change already recorded as an event. */
export interface RecordedTransition extends Transition {
  id: number;
}

/** Timeline order: check time, then result id (ids only grow on one agent). */
export function compareTimeline(a: { at: number; resultId: number }, b: { at: number; resultId: number }): number {
  return a.at - b.at || a.resultId - b.resultId;
}

/**
 * The changes along `points` (already in timeline order), starting from `initial`: the
 * status just before the first point, or null when nothing came before it.
 *
 * @example
 * transitionsAlong([{ resultId: 1, at: 10, status: 0 }, { resultId: 2, at: 20, status: 2 }], null);
 * // → [{ resultId: 1, at: 10, from: null, to: 0 }, { resultId: 2, at: 20, from: 0, to: 2 }]
 */
export function transitionsAlong(points: readonly TimelinePoint[], initial: number | null): Transition[] {
  const out: Transition[] = [];
  let status = initial;
  for (const p of points) {
    if (p.status !== status) out.push({ resultId: p.resultId, at: p.at, from: status, to: p.status });
    status = p.status;
  }
  return out;
}

/** The later of two timeline positions (either may be missing). */
export function laterOf<T extends { at: number; resultId: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a || !b) return a ?? b;
  return compareTimeline(a, b) >= 0 ? a : b;
}

/** The earlier of two timeline positions (either may be missing). */
export function earlierOf<T extends { at: number; resultId: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a || !b) return a ?? b;
  return compareTimeline(a, b) <= 0 ? a : b;
}

export interface Reconciliation {
  /** Recorded changes that still exist, possibly moved earlier or with another `from`. */
  moved: { id: number; to: Transition }[];
  unchanged: number[];
  removed: number[];
  /** Changes nobody recorded yet: history that arrived late. */
  added: Transition[];
}

/**
 * Match the changes recorded for a stretch of the timeline with the changes recomputed for
 * it after late results arrived. A recorded change keeps its identity (and whether it was
 * notified) when a recomputed change to the same status lies at or before it: late history
 * can only reveal that a problem started earlier, never later. Both lists in timeline order.
 */
export function reconcile(recorded: readonly RecordedTransition[], recomputed: readonly Transition[]): Reconciliation {
  const taken = new Set<number>();
  const result: Reconciliation = { moved: [], unchanged: [], removed: [], added: [] };
  for (let i = recorded.length - 1; i >= 0; i--) {
    const old = recorded[i]!;
    let match = -1;
    for (let j = recomputed.length - 1; j >= 0; j--) {
      if (taken.has(j)) continue;
      const t = recomputed[j]!;
      if (t.to === old.to && compareTimeline(t, old) <= 0) {
        match = j;
        break;
      }
    }
    if (match < 0) {
      result.removed.push(old.id);
      continue;
    }
    taken.add(match);
    const t = recomputed[match]!;
    if (t.resultId === old.resultId && t.at === old.at && t.from === old.from) result.unchanged.push(old.id);
    else result.moved.push({ id: old.id, to: t });
  }
  recomputed.forEach((t, j) => {
    if (!taken.has(j)) result.added.push(t);
  });
  return result;
}
