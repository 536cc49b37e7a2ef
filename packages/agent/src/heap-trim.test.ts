import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { HeapTrimmer } from './heap-trim.js';

let trimmer: HeapTrimmer | undefined;
afterEach(() => {
  trimmer?.stop();
  trimmer = undefined;
});

const MB = 1e6;

/** About `megabytes` of small objects that live long enough to reach the old generation, then are dropped. */
function churn(megabytes: number): number {
  let keep: { n: number; s: string }[][] = [];
  for (let i = 0; i < megabytes * 100; i++) keep.push(Array.from({ length: 100 }, (_, n) => ({ n, s: `${i}:${n}` })));
  const count = keep.length;
  keep = [];
  return count;
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe('HeapTrimmer', () => {
  it('gives back the pages that garbage left committed', async () => {
    trimmer = await HeapTrimmer.create();
    expect(trimmer).toBeDefined();
    await trimmer!.trim();
    const resting = getHeapStatistics().total_heap_size;
    expect(churn(30)).toBe(3_000);
    const grown = getHeapStatistics().total_heap_size;
    expect(grown).toBeGreaterThan(resting + 5 * MB);
    const { beforeBytes, afterBytes } = await trimmer!.trim();
    // Not equal to `grown`: the trim's own allocations may commit a page more first.
    expect(beforeBytes).toBeGreaterThan(resting + 5 * MB);
    expect(afterBytes).toBeLessThan(beforeBytes - 5 * MB);
    expect(getHeapStatistics().total_heap_size).toBeLessThan(grown - 5 * MB);
    expect(trimmer!.trims).toBe(2);
  });

  it('trims by itself once the heap has grown by growthBytes, and not before', async () => {
    trimmer = await HeapTrimmer.create({ growthBytes: 4 * MB, everyMs: 20 });
    await trimmer!.trim();
    trimmer!.start();
    // Fifteen looks at a heap that has not grown.
    await new Promise((r) => setTimeout(r, 300));
    expect(trimmer!.trims).toBe(1);
    churn(30);
    const grown = getHeapStatistics().total_heap_size;
    await until('a trim after the heap grew', () => trimmer!.trims >= 2);
    expect(getHeapStatistics().total_heap_size).toBeLessThan(grown - 5 * MB);
  });

  it('joins a trim that is already running instead of starting a second', async () => {
    trimmer = await HeapTrimmer.create();
    const [a, b] = [trimmer!.trim(), trimmer!.trim()];
    expect(a).toBe(b);
    await a;
    expect(trimmer!.trims).toBe(1);
  });
});
