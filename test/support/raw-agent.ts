import {
  AgentHandshake,
  decodeFrame,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  generateKeyPair,
  PublicKey,
  signBatch,
  Status,
  type DecodedFrame,
  type FrameInit,
  type KeyPair,
} from '@outpost/protocol';
import { WebSocket } from 'ws';

/**
 * A hand-driven agent for tests that need to misbehave on purpose: send frames out of
 * order, flip bytes, skip waiting for answers. It speaks the real protocol over a real
 * socket (TLS without pinning; these tests are about the collector's side).
 */
export class RawAgent {
  readonly ws: WebSocket;
  readonly keyPair: KeyPair;
  readonly frames: DecodedFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { type: string; resolve: (f: DecodedFrame) => void }[] = [];

  private constructor(url: string, keyPair: KeyPair) {
    this.keyPair = keyPair;
    this.ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false });
    this.ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(data);
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => (w.type === frame.type ? (w.resolve(frame), false) : true));
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string, keyPair: KeyPair = generateKeyPair()): Promise<RawAgent> {
    const agent = new RawAgent(url, keyPair);
    await new Promise<void>((resolve, reject) => {
      agent.ws.once('open', () => resolve());
      agent.ws.once('error', reject);
    });
    return agent;
  }

  next(type: DecodedFrame['type'], timeoutMs = 10_000): Promise<DecodedFrame> {
    const seen = this.frames.find((f) => f.type === type);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        type,
        resolve: (f) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  send(frame: FrameInit | Uint8Array): void {
    this.ws.send(frame instanceof Uint8Array ? frame : encodeFrame(frame));
  }

  /** Answer the Challenge; returns after sending Hello (does not wait for Welcome). */
  async hello(options: { name: string; collectorKey: string; token?: string }): Promise<void> {
    const challenge = await this.next('challenge');
    if (challenge.type !== 'challenge') throw new Error('unreachable');
    const handshake = new AgentHandshake({
      keyPair: this.keyPair,
      agentName: options.name,
      collectorKeys: [PublicKey.parse(options.collectorKey)],
      software: 'raw-agent/test',
      configHash: '',
      ...(options.token ? { enrollToken: options.token } : {}),
    });
    this.send({ hello: handshake.onChallenge(challenge.body) });
  }

  /** A signed batch of `count` OK results with ids from `firstId`. */
  batch(batchSeq: number, firstId: number, count: number): Uint8Array {
    const results = Array.from({ length: count }, (_, i) =>
      encodeResult({
        resultId: firstId + i,
        checkId: 'raw-check',
        startedAtMs: Date.now(),
        durationUs: 1,
        status: Status.OK,
        observation: 'open',
        message: `raw result ${firstId + i}`,
      }),
    );
    const payload = encodeBatchBody({ agentKey: this.keyPair.publicKey, batchSeq, createdMs: Date.now(), clockOffsetMs: 0 }, results);
    return encodeFrame({ batch: signBatch(this.keyPair.secretKey, payload) });
  }

  close(): void {
    this.ws.terminate();
  }
}
