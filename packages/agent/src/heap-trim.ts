import type { Session } from 'node:inspector/promises';
import { getHeapStatistics } from 'node:v8';

/** The options of HeapTrimmer. */
export interface HeapTrimmerOptions {
  /** Trim when the heap has grown this much since the last trim. */
  growthBytes?: number;
  /** How often the heap's size is looked at. */
  everyMs?: number;
}

/** What one trim did: V8's heap size (committed bytes) before and after. */
export interface HeapTrim {
  beforeBytes: number;
  afterBytes: number;
}

const DEFAULTS: Required<HeapTrimmerOptions> = { growthBytes: 2 ** 20, everyMs: 250 };

/**
 * Gives the V8 heap's free pages back to the system soon after a burst of work. V8 does
 * that itself (its memory reducer), but only ~8 s after the heap stopped growing, a delay
 * fixed in Node 20's V8: an agent with 1000 checks spent those seconds after start-up and
 * after each round of checks 6-8 MB above its resting size (bench/README.md, footprint).
 * A trim is the inspector's `HeapProfiler.collectGarbage`, i.e. V8's low-memory
 * notification: full collections that compact the old generation and shrink the young
 * one, tens of milliseconds of the event loop. The agent runs it only while it does few
 * checks a second (v8-profile.ts).
 *
 * @example
 * const trimmer = await HeapTrimmer.create();
 * await trimmer?.trim(); // the config file's parse left megabytes of garbage
 * trimmer?.start();
 */
export class HeapTrimmer {
  readonly #session: Session;
  readonly #o: Required<HeapTrimmerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<HeapTrim> | undefined;
  #restingBytes = getHeapStatistics().total_heap_size;
  #trims = 0;

  private constructor(session: Session, options: HeapTrimmerOptions) {
    this.#session = session;
    this.#o = { ...DEFAULTS, ...options };
  }

  /** A trimmer, or undefined where this Node was built without the inspector. */
  static async create(options: HeapTrimmerOptions = {}): Promise<HeapTrimmer | undefined> {
    let session: Session;
    try {
      // Loaded here: it throws on import where the inspector is missing.
      const { Session: InspectorSession } = await import('node:inspector/promises');
      session = new InspectorSession();
      session.connect();
    } catch {
      return undefined;
    }
    return new HeapTrimmer(session, options);
  }

  /** Trims done so far. */
  get trims(): number {
    return this.#trims;
  }

  /** Collect now and give back what is free; a trim already running is joined. */
  trim(): Promise<HeapTrim> {
    this.#running ??= (async () => {
      const beforeBytes = getHeapStatistics().total_heap_size;
      try {
        await this.#session.post('HeapProfiler.collectGarbage');
        this.#trims++;
      } finally {
        this.#restingBytes = getHeapStatistics().total_heap_size;
        this.#running = undefined;
      }
      return { beforeBytes, afterBytes: this.#restingBytes };
    })();
    return this.#running;
  }

  /** Trim whenever the heap has grown by `growthBytes` since the last trim. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A trim that fails (the session closed under it) leaves the heap as V8 keeps it.
      if (getHeapStatistics().total_heap_size - this.#restingBytes >= this.#o.growthBytes) this.trim().catch(() => {});
    }, this.#o.everyMs);
    // It must not keep a stopping agent alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#session.disconnect();
  }
}
