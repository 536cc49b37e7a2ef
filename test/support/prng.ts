/**
 * A tiny seeded PRNG (mulberry32) so a fuzz run can be replayed from the seed it prints.
 * Not for cryptography: only for choosing test inputs.
 *
 * @example
 * const rng = new Rng(0xc0ffee);
 * const bytes = rng.bytes(rng.int(0, 64));
 */
export class Rng {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** A seed from the environment (`OUTPOST_FUZZ_SEED`, decimal or 0x-hex) or from the clock. */
  static seedFromEnv(name = 'OUTPOST_FUZZ_SEED'): number {
    const text = process.env[name];
    if (text !== undefined && text !== '') return Number(text) >>> 0;
    return (Date.now() ^ (process.pid << 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = (this.next() * 4294967296) >>> 0;
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** A length skewed towards small values, up to `max` (most bugs live near zero and near edges). */
  length(max: number): number {
    const r = this.next();
    if (r < 0.5) return this.int(0, Math.min(16, max));
    if (r < 0.85) return this.int(0, Math.min(256, max));
    if (r < 0.98) return this.int(0, Math.min(4_096, max));
    return this.int(0, max);
  }

  /** A short printable name. */
  name(prefix: string): string {
    return `${prefix}-${this.int(0, 0xffffff).toString(36)}`;
  }
}
