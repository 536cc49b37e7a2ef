/** What the console hears about as it happens. */
export type LiveMessageType = 'check' | 'check_forgotten' | 'agent' | 'event' | 'segmentation';

export type LiveListener = (type: LiveMessageType, data: unknown) => void;

/**
 * A fan-out of state changes to live subscribers (the console's Server-Sent Events). A
 * listener that throws is dropped rather than allowed to break the publisher: ingest must
 * never wait on, or fail because of, a browser.
 *
 * @example
 * const feed = new LiveFeed();
 * const stop = feed.subscribe((type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`));
 * feed.publish('agent', view);
 */
export class LiveFeed {
  readonly #listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#listeners.size;
  }

  publish(type: LiveMessageType, data: unknown): void {
    for (const listener of this.#listeners) {
      try {
        listener(type, data);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  }
}
