import { encodeBatchBody, type BatchInit, type GapInit } from '@outpost/protocol';
import type { UplinkSettings } from './config.js';
import type { Outbox, StoredGap, StoredResult } from './outbox.js';

export interface SendQueueOptions {
  outbox: Outbox;
  settings: Pick<UplinkSettings, 'window' | 'maxBatchResults' | 'maxBatchBytes' | 'maxBytesPerSec'>;
  agentKey: Uint8Array;
  clockOffsetMs: number;
  sign: (payload: Uint8Array) => BatchInit;
  /** The next batch sequence number (persisted by the caller). */
  nextSeq: () => number;
  now?: () => number;
}

interface InFlight {
  ids: number[];
  gaps: StoredGap[];
}

export type NextBatch = { batch: BatchInit; batchSeq: number; results: number } | { waitMs: number } | undefined;

/** Gap records carried per batch at most. */
const GAPS_PER_BATCH = 64;

/**
 * What one connection sends, in which order: first the newest waiting result of every
 * check (so the centre's current view is right within seconds of a reconnect), then the
 * backlog oldest first, with gap records riding along. Keeps the window of unacknowledged
 * batches and an optional byte-rate cap for thin links.
 *
 * @example
 * const queue = new SendQueue({ outbox, settings, agentKey, clockOffsetMs, sign, nextSeq });
 * for (let next = queue.next(); next && 'batch' in next; next = queue.next()) ws.send(...);
 * queue.ack(batchSeq); // deletes the rows and gaps of that batch
 */
export class SendQueue {
  readonly #options: SendQueueOptions;
  readonly #inFlight = new Map<number, InFlight>();
  /** Ids sent ahead of their turn (newest per check), passed over by the backlog cursor. */
  readonly #sentAhead = new Set<number>();
  #cursor = 0;
  #prioritySent = false;
  #gapsInFlight = false;
  #tokens: number;
  #tokensAt: number;

  constructor(options: SendQueueOptions) {
    this.#options = options;
    this.#tokensAt = this.#now();
    this.#tokens = options.settings.maxBytesPerSec ?? Infinity;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Rows a compaction must not touch: everything this connection has sent and not had acknowledged. */
  get protectedThroughId(): number {
    return this.#cursor;
  }

  get protectedIds(): ReadonlySet<number> {
    return this.#sentAhead;
  }

  /** The next batch to send, `{ waitMs }` when the rate cap says wait, undefined when idle or the window is full. */
  next(): NextBatch {
    const { outbox, settings } = this.#options;
    if (this.#inFlight.size >= settings.window) return undefined;
    let rows: StoredResult[] = this.#prioritySent ? [] : outbox.readNewestPerCheck(settings.maxBatchResults);
    const ahead = rows.length > 0;
    if (!ahead) rows = outbox.readAfter(this.#cursor, settings.maxBatchResults, settings.maxBatchBytes, this.#sentAhead);
    const gaps = this.#gapsInFlight ? [] : outbox.pendingGaps(GAPS_PER_BATCH);
    if (rows.length === 0 && gaps.length === 0) return undefined;
    // Under the rate cap nothing is marked sent: the same rows are read again next time.
    const waitMs = this.#spend(rows.reduce((sum, row) => sum + row.bytes, 0));
    if (waitMs > 0) return { waitMs };
    this.#prioritySent = true;
    if (ahead) for (const row of rows) this.#sentAhead.add(row.resultId);
    const batchSeq = this.#options.nextSeq();
    const payload = encodeBatchBody(
      { agentKey: this.#options.agentKey, batchSeq, createdMs: this.#now(), clockOffsetMs: this.#options.clockOffsetMs },
      rows.map((row) => row.body),
      gaps.map((g): GapInit => g.gap),
    );
    for (const row of rows) if (!this.#sentAhead.has(row.resultId) && row.resultId > this.#cursor) this.#cursor = row.resultId;
    this.#inFlight.set(batchSeq, { ids: rows.map((row) => row.resultId), gaps });
    if (gaps.length > 0) this.#gapsInFlight = true;
    return { batch: this.#options.sign(payload), batchSeq, results: rows.length };
  }

  /** The collector stored batch `batchSeq`: delete its rows and gaps. Returns how many results, or undefined if unknown. */
  ack(batchSeq: number): number | undefined {
    const sent = this.#inFlight.get(batchSeq);
    if (!sent) return undefined;
    this.#inFlight.delete(batchSeq);
    const { outbox } = this.#options;
    const { ids } = sent;
    const contiguous = ids.length > 0 && ids[ids.length - 1]! - ids[0]! + 1 === ids.length;
    if (contiguous) outbox.remove(ids[0]!, ids[ids.length - 1]!);
    else outbox.removeIds(ids);
    if (sent.gaps.length > 0) {
      outbox.removeGaps(sent.gaps);
      this.#gapsInFlight = false;
    }
    return ids.length;
  }

  /** Token bucket over bytes: 0 when `bytes` may go now, else how long to wait. */
  #spend(bytes: number): number {
    const rate = this.#options.settings.maxBytesPerSec;
    if (rate === undefined) return 0;
    const now = this.#now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    // A batch larger than one second's worth still goes once the bucket is full.
    const cost = Math.min(bytes, rate);
    if (this.#tokens >= cost) {
      this.#tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - this.#tokens) / rate) * 1000);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
