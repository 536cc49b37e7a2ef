import { Status } from '@outpost/protocol';
import { describe, expect, it } from 'vitest';
import { reconcile, transitionsAlong } from './state-transitions.js';

// The pure half of the state engine's timeline. Its behaviour on a real store (live changes,
// late history from a newest-first backlog, flapping) is part of the store contract that
// sqlite-store.test.ts and pg-store.test.ts run (store-contract-test-timeline.ts).

describe('state transitions (pure)', () => {
  it('finds the changes along a timeline from a starting status', () => {
    const points = [
      { resultId: 1, at: 10, status: Status.OK },
      { resultId: 2, at: 20, status: Status.OK },
      { resultId: 3, at: 30, status: Status.CRITICAL },
    ];
    expect(transitionsAlong(points, null).map((t) => [t.at, t.from, t.to])).toEqual([[10, null, Status.OK], [30, Status.OK, Status.CRITICAL]]);
    expect(transitionsAlong(points, Status.CRITICAL).map((t) => t.at)).toEqual([10, 30]);
  });

  it('keeps a recorded change when late history moves it earlier, drops one that no longer exists', () => {
    const recorded = [{ id: 7, resultId: 9, at: 100, from: Status.OK, to: Status.CRITICAL }];
    const moved = reconcile(recorded, [{ resultId: 4, at: 60, from: Status.OK, to: Status.CRITICAL }]);
    expect(moved).toEqual({ moved: [{ id: 7, to: { resultId: 4, at: 60, from: Status.OK, to: Status.CRITICAL } }], unchanged: [], removed: [], added: [] });
    const gone = reconcile(recorded, []);
    expect(gone.removed).toEqual([7]);
  });
});
