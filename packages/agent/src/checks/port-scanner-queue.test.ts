import { describe, expect, it } from 'vitest';
import { CHUNK_PROBES, claimedRanges, ProbeQueue, shareProbes } from './port-scanner-queue.js';

function drain(queue: ProbeQueue, limit = 1_000_000): number[] {
  const taken: number[] = [];
  for (let probe = queue.take(); probe >= 0 && taken.length < limit; probe = queue.take()) taken.push(probe);
  return taken;
}

describe('ProbeQueue', () => {
  it('hands out its own ranges in order, then reports -1', () => {
    const queue = new ProbeQueue([5, 8, 0, 2]);
    expect(drain(queue)).toEqual([5, 6, 7, 0, 1]);
    expect(queue.take()).toBe(-1);
  });

  it('shares every probe of a scan exactly once between threads that take in turns', () => {
    const total = 10 * CHUNK_PROBES + 17;
    const shared = shareProbes(total);
    const queues = [0, 1, 2].map((shard) => new ProbeQueue([], shared, shard));
    const taken: number[][] = [[], [], []];
    // Uneven turns, as threads on a busy machine would take.
    for (let turn = 0, done = 0; done < 3; turn++) {
      done = 0;
      for (const [shard, queue] of queues.entries()) {
        for (let i = 0; i < (shard + 1) * 50; i++) {
          const probe = queue.take();
          if (probe < 0) {
            done++;
            break;
          }
          taken[shard]!.push(probe);
        }
      }
    }
    const all = taken.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(taken[2]!.length).toBeGreaterThan(taken[0]!.length);
  });

  it('lists the chunks a shard claimed, so they can be scanned again elsewhere', () => {
    const total = 3 * CHUNK_PROBES + 5;
    const shared = shareProbes(total);
    const first = new ProbeQueue([], shared, 0);
    const second = new ProbeQueue([], shared, 1);
    first.take();
    second.take();
    first.take();
    for (let i = 0; i < CHUNK_PROBES; i++) first.take();
    // Still inside its first chunk: claims nothing new, so the last chunk stays unclaimed.
    second.take();
    expect(claimedRanges(shared, 0)).toEqual([0, CHUNK_PROBES, 2 * CHUNK_PROBES, 3 * CHUNK_PROBES]);
    expect(claimedRanges(shared, 1)).toEqual([CHUNK_PROBES, 2 * CHUNK_PROBES]);
    const redo = new ProbeQueue(claimedRanges(shared, 1), shared, 1);
    expect(drain(redo)).toEqual([...Array.from({ length: CHUNK_PROBES }, (_, i) => CHUNK_PROBES + i), 3 * CHUNK_PROBES, 3 * CHUNK_PROBES + 1, 3 * CHUNK_PROBES + 2, 3 * CHUNK_PROBES + 3, 3 * CHUNK_PROBES + 4]);
  });
});
