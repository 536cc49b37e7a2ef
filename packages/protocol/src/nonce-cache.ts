/**
 * Remembers recently seen nonces so a handshake message cannot be accepted twice. Bounded
 * in entries and in time; the caller passes the clock, so the cache has no timers.
 */
export class NonceCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #seen = new Map<string, number>();

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** Record `nonce`; false when it was already seen within the time to live. */
  remember(nonce: Uint8Array, nowMs: number): boolean {
    this.#expire(nowMs);
    const key = Buffer.from(nonce).toString('base64');
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#maxEntries) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    this.#seen.set(key, nowMs + this.#ttlMs);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #expire(nowMs: number): void {
    // Map iterates in insertion order and every entry has the same ttl, so expiry is a prefix.
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt > nowMs) break;
      this.#seen.delete(key);
    }
  }
}
