// Which probes a scan thread runs next. Probes are numbered 0..total-1 (port-major over the
// hosts); threads claim them in chunks from one shared cursor, so a thread that the machine
// slows down (other processes on its core) claims fewer chunks instead of holding up the
// whole scan, as a fixed split of the ports would.

/** Probes claimed at a time: small enough to balance the tail, big enough to claim rarely. */
export const CHUNK_PROBES = 128;

/** Bookkeeping shared by the threads of one scan (SharedArrayBuffers, so never copied). */
export interface SharedProbes {
  total: number;
  /** [0]: the next unclaimed chunk. */
  cursor: Int32Array;
  /** Per chunk: the shard that claimed it, plus one (0 = unclaimed). */
  owners: Uint8Array;
}

/** Most threads a scan spreads over; shard numbers must fit `owners`. */
export const MAX_SHARDS = 64;

export function shareProbes(total: number): SharedProbes {
  const chunks = Math.ceil(total / CHUNK_PROBES);
  return { total, cursor: new Int32Array(new SharedArrayBuffer(4)), owners: new Uint8Array(new SharedArrayBuffer(Math.max(1, chunks))) };
}

/** The chunks a shard claimed, as [first, end) probe ranges: to run again if its thread died. */
export function claimedRanges(shared: SharedProbes, shard: number): number[] {
  const ranges: number[] = [];
  for (let chunk = 0; chunk < shared.owners.length; chunk++) {
    if (Atomics.load(shared.owners, chunk) !== shard + 1) continue;
    ranges.push(chunk * CHUNK_PROBES, Math.min(shared.total, (chunk + 1) * CHUNK_PROBES));
  }
  return ranges;
}

/**
 * Hands out probe numbers: first from its own ranges, then (when shared) from chunks it
 * claims on the shared cursor. `take()` returns -1 once there is nothing left.
 */
export class ProbeQueue {
  #next = 0;
  #end = 0;
  readonly #ranges: number[];
  #shared: SharedProbes | undefined;
  readonly #shard: number;

  /** `ranges` are [first, end) pairs; `shared` adds the chunks this shard claims. */
  constructor(ranges: readonly number[], shared?: SharedProbes, shard = 0) {
    this.#ranges = [];
    // Kept reversed so pop() hands them out in order.
    for (let i = ranges.length - 2; i >= 0; i -= 2) this.#ranges.push(ranges[i + 1]!, ranges[i]!);
    this.#shared = shared;
    this.#shard = shard;
  }

  take(): number {
    if (this.#next < this.#end) return this.#next++;
    if (this.#ranges.length > 0) {
      this.#next = this.#ranges.pop()!;
      this.#end = this.#ranges.pop()!;
      return this.take();
    }
    const shared = this.#shared;
    if (shared === undefined) return -1;
    const chunk = Atomics.add(shared.cursor, 0, 1);
    if (chunk * CHUNK_PROBES >= shared.total) {
      // Spent: claim no more, so the cursor passes the end at most once per thread.
      this.#shared = undefined;
      return -1;
    }
    Atomics.store(shared.owners, chunk, this.#shard + 1);
    this.#next = chunk * CHUNK_PROBES;
    this.#end = Math.min(shared.total, this.#next + CHUNK_PROBES);
    return this.#next++;
  }
}
