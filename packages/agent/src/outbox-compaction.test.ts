import { describe, expect, it } from 'vitest';
import { planCompaction, type CompactionRow } from './outbox-compaction.js';

const OK = 0;
const CRIT = 2;

function rows(spec: [check: string, status: number][], startMs = 1_000): CompactionRow[] {
  return spec.map(([checkId, status], i) => ({ resultId: i + 1, checkId, status, startedAtMs: startMs + i * 1_000, bytes: 100 }));
}

describe('planCompaction', () => {
  it('drops only repeats, keeping the first and last of each run and every state change', () => {
    const input = rows([['a', OK], ['a', OK], ['a', OK], ['a', CRIT], ['a', CRIT], ['a', CRIT], ['a', OK]]);
    const plan = planCompaction(input, 700, { maxBytes: 100, maxAgeMs: 1e12 }, 10_000, 'cap');
    expect(plan.dropIds).toEqual([2, 5]);
    expect(plan.gap).toMatchObject({ fromResultId: 2, toResultId: 5, count: 2, reason: 'cap', perCheck: { a: 2 }, firstMs: 2_000, lastMs: 5_000 });
  });

  it('drops the oldest repeats first and stops once the bytes fit', () => {
    const input = rows([['a', OK], ['b', OK], ['a', OK], ['b', OK], ['a', OK], ['b', OK], ['a', OK], ['b', OK]]);
    const plan = planCompaction(input, 800, { maxBytes: 650, maxAgeMs: 1e12 }, 10_000, 'cap');
    expect(plan.dropIds).toEqual([3, 4]);
    expect(plan.gap!.perCheck).toEqual({ a: 1, b: 1 });
  });

  it('drops repeats older than the age budget even when the bytes fit', () => {
    const input = rows([['a', OK], ['a', OK], ['a', OK], ['a', OK]], 0);
    const plan = planCompaction(input, 400, { maxBytes: 1e9, maxAgeMs: 500 }, 2_100, 'age');
    expect(plan.dropIds).toEqual([2]);
  });

  it('drops nothing when within budget or when only state changes remain', () => {
    expect(planCompaction(rows([['a', OK], ['a', OK], ['a', OK]], 5_000), 300, { maxBytes: 1_000, maxAgeMs: 1e9 }, 6_000, 'cap').gap).toBeUndefined();
    const flapping = rows([['a', OK], ['a', CRIT], ['a', OK], ['a', CRIT]]);
    expect(planCompaction(flapping, 400, { maxBytes: 1, maxAgeMs: 1e12 }, 10_000, 'cap').dropIds).toEqual([]);
  });
});
