/**
 * Named event counters of this collector process (rejected frames by reason, refused
 * handshakes, connections). Exposed through the API; every drop is counted, none silent.
 */
export class Counters {
  readonly #values = new Map<string, number>();

  add(name: string, by = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.#values.get(name) ?? 0;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#values].sort(([a], [b]) => a.localeCompare(b)));
  }
}
