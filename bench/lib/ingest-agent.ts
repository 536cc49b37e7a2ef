// A minimal agent for the ingest benchmark: the real protocol over a real wss socket
// (Challenge → Hello with an enrolment token → Welcome, then Batch frames answered by Acks),
// with every batch built and signed before the clock starts. Modelled on
// test/support/raw-agent.ts; TLS is not pinned here because only the collector is measured.
import {
  AgentHandshake,
  decodeFrame,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  generateKeyPair,
  PublicKey,
  signBatch,
  type DecodedFrame,
  type KeyPair,
} from '@outpost/protocol';
import { WebSocket } from 'ws';
import type { NewResult } from '../../packages/agent/dist/outbox.js';
import { fitWireLimits, toResultInit } from '../../packages/agent/dist/result-wire.js';

/** `count` encoded results from id `firstId`, made exactly as the outbox encodes them. */
export function encodeResults(results: readonly NewResult[], firstId: number): Uint8Array[] {
  return results.map((r, i) => encodeResult(toResultInit(fitWireLimits(r), firstId + i)));
}

/** One signed Batch frame (the bytes that go on the wire). */
export function signedBatchFrame(keyPair: KeyPair, batchSeq: number, encoded: readonly Uint8Array[]): Uint8Array {
  const payload = encodeBatchBody({ agentKey: keyPair.publicKey, batchSeq, createdMs: Date.now(), clockOffsetMs: 0 }, encoded);
  return encodeFrame({ batch: signBatch(keyPair.secretKey, payload) });
}

export interface PumpOutcome {
  /** First send to last Ack, in seconds. */
  seconds: number;
  stored: number;
  duplicates: number;
  /** Milliseconds from a batch's send to its Ack. */
  ackLatencyMs: number[];
  /** Acks that arrived together (under 2 ms apart): about the batches per collector commit. */
  ackGroups: number;
}

export class IngestAgent {
  readonly keyPair: KeyPair;
  readonly #ws: WebSocket;
  #onFrame: (frame: DecodedFrame) => void = () => {};
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket, keyPair: KeyPair) {
    this.#ws = ws;
    this.keyPair = keyPair;
    ws.on('message', (data: Buffer) => this.#onFrame(decodeFrame(data)));
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /**
   * Connect and enrol with `token`; resolves after the Welcome.
   *
   * @example
   * const agent = await IngestAgent.enrol(`wss://127.0.0.1:${port}/outpost/v1`, { name: 'bench', collectorKey, token });
   * const outcome = await agent.pump(frames, 8);
   */
  static async enrol(url: string, options: { name: string; collectorKey: string; token: string; keyPair?: KeyPair; timeoutMs?: number }): Promise<IngestAgent> {
    const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
    const agent = new IngestAgent(ws, options.keyPair ?? generateKeyPair());
    const handshake = new AgentHandshake({
      keyPair: agent.keyPair,
      agentName: options.name,
      collectorKeys: [PublicKey.parse(options.collectorKey)],
      software: 'outpost-bench/ingest',
      configHash: '',
      enrollToken: options.token,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no Welcome within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
        ws.once('error', reject);
        void agent.closed.then(({ code, reason }) => reject(new Error(`closed during the handshake: ${code} ${reason}`)));
        agent.#onFrame = (frame) => {
          if (frame.type === 'challenge') ws.send(encodeFrame({ hello: handshake.onChallenge(frame.body) }));
          else if (frame.type === 'welcome') resolve();
          else if (frame.type === 'error') reject(new Error(`collector refused: ${frame.body.code}: ${frame.body.message}`));
        };
      });
    } catch (err: unknown) {
      ws.terminate();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return agent;
  }

  /** Send every frame with at most `window` un-acked; resolves at the last Ack. */
  pump(frames: readonly Uint8Array[], window: number, timeoutMs = 600_000): Promise<PumpOutcome> {
    return new Promise((resolve, reject) => {
      const sentAt = new Map<number, number>();
      const ackLatencyMs: number[] = [];
      let next = 0;
      let acked = 0;
      let stored = 0;
      let duplicates = 0;
      let ackGroups = 0;
      let lastAckAt = -Infinity;
      const start = performance.now();
      const timer = setTimeout(() => reject(new Error(`only ${acked} of ${frames.length} batches acked within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      void this.closed.then(({ code, reason }) => fail(new Error(`connection closed after ${acked} acks: ${code} ${reason}`)));
      const send = () => {
        // Batch sequence numbers are 1-based: frame i carries batchSeq i + 1.
        sentAt.set(next + 1, performance.now());
        this.#ws.send(frames[next++]!);
      };
      this.#onFrame = (frame) => {
        if (frame.type === 'error') return fail(new Error(`collector error: ${frame.body.code}: ${frame.body.message}`));
        if (frame.type !== 'ack') return;
        const now = performance.now();
        if (now - lastAckAt > 2) ackGroups++;
        lastAckAt = now;
        const at = sentAt.get(frame.body.batchSeq);
        if (at !== undefined) ackLatencyMs.push(now - at);
        sentAt.delete(frame.body.batchSeq);
        stored += frame.body.stored;
        duplicates += frame.body.duplicates;
        acked++;
        if (next < frames.length) send();
        if (acked === frames.length) {
          clearTimeout(timer);
          resolve({ seconds: (performance.now() - start) / 1000, stored, duplicates, ackLatencyMs, ackGroups });
        }
      };
      while (next < Math.min(window, frames.length)) send();
    });
  }

  close(): void {
    this.#ws.terminate();
  }
}
