import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentHandshake,
  decodeFrame,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  ErrorCode,
  PublicKey,
  signBatch,
  Status,
  WS_PATH,
  type BatchInit,
  type DecodedFrame,
  type FrameInit,
  type KeyPair,
} from '@outpost/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createKeyFile } from './key-file.js';
import { Relay } from './relay.js';

/** A downstream agent or relay driven by hand over a real TLS socket (the relay's certificate is not pinned here). */
class Downstream {
  readonly frames: DecodedFrame[] = [];
  isClosed = false;
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => this.frames.push(decodeFrame(data)));
    ws.on('error', () => {});
    ws.once('close', () => (this.isClosed = true));
  }

  static async connect(port: number, name: string, keyPair: KeyPair, relayKey: Uint8Array): Promise<Downstream> {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${WS_PATH}`, { rejectUnauthorized: false, perMessageDeflate: false });
    const down = new Downstream(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    const challenge = await down.next('challenge');
    if (challenge.type !== 'challenge') throw new Error('unreachable');
    const handshake = new AgentHandshake({ keyPair, agentName: name, collectorKeys: [PublicKey.from(relayKey)], software: 'relay-test', configHash: '' });
    down.send({ hello: handshake.onChallenge(challenge.body) });
    await down.next('welcome');
    return down;
  }

  async next(type: DecodedFrame['type']): Promise<DecodedFrame> {
    for (let i = 0; i < 200; i += 1) {
      const found = this.frames.find((f) => f.type === type);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${type} frame`);
  }

  send(frame: FrameInit): void {
    this.#ws.send(encodeFrame(frame));
  }

  close(): void {
    this.#ws.terminate();
  }
}

function signed(keys: KeyPair, batchSeq: number): BatchInit & { payload: Uint8Array; signature: Uint8Array } {
  const result = encodeResult({ resultId: batchSeq, checkId: 'c', startedAtMs: Date.now(), durationUs: 1, status: Status.OK, observation: 'open', message: `r${batchSeq}` });
  const payload = encodeBatchBody({ agentKey: keys.publicKey, batchSeq, createdMs: Date.now(), clockOffsetMs: 0 }, [result]);
  return signBatch(keys.secretKey, payload) as BatchInit & { payload: Uint8Array; signature: Uint8Array };
}

const until = async (what: string, test: () => boolean): Promise<void> => {
  for (let i = 0; i < 400; i += 1) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

let dir: string;
let relay: Relay | undefined;
let relayKeys: KeyPair;
let victimKeys: KeyPair;
let squatterKeys: KeyPair;
let port: number;
const downs: Downstream[] = [];
/** What the relay sent upstream, and the upstream socket's buffered bytes it is told. */
let upstream: FrameInit[];
let buffered: number;

async function startRelay(maxBatchesPerDownstream = 10_000): Promise<void> {
  relay = new Relay({
    config: {
      name: 'relay-plant',
      dataDir: join(dir, 'data'),
      keyFile: join(dir, 'relay.key'),
      uplink: { window: 8, maxBatchResults: 1_000, maxBatchBytes: 1024 * 1024, heartbeatIntervalMs: 1_000, idleTimeoutMs: 5_000, backoffMinMs: 50, backoffMaxMs: 1_000, maxBytesPerSec: undefined, failbackAfterMs: 300_000 },
      relay: {
        host: '127.0.0.1', port: 0, maxUnauthenticated: 16, maxUnauthenticatedPerAddress: 16, handshakeTimeoutMs: 5_000, maxBacklogBytes: 64 * 1024 * 1024, maxBatchesPerDownstream,
        agents: [{ name: 'victim', key: PublicKey.from(victimKeys.publicKey) }, { name: 'relay-down', key: PublicKey.from(squatterKeys.publicKey) }],
      },
    },
    keyPair: relayKeys,
    logger: pino({ level: 'silent' }),
  });
  ({ port } = await relay.start());
}

const connect = async (name: string, keys: KeyPair) => {
  const down = await Downstream.connect(port, name, keys, relayKeys.publicKey);
  downs.push(down);
  return down;
};
const forwarded = () => upstream.flatMap((f) => (f.relayedBatch ? [f.relayedBatch] : []));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-relay-'));
  relayKeys = createKeyFile(join(dir, 'relay.key'));
  victimKeys = createKeyFile(join(dir, 'victim.key'));
  squatterKeys = createKeyFile(join(dir, 'squatter.key'));
  upstream = [];
  buffered = 0;
});
afterEach(async () => {
  for (const down of downs.splice(0)) down.close();
  await relay?.stop();
  relay = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('Relay: what a downstream may store and send on', () => {
  it("refuses a relayed batch not signed by the key it names, so the victim's real batch of that number still goes through", async () => {
    await startRelay();
    const squatter = await connect('relay-down', squatterKeys);
    // Junk under the victim's key and next batch number: the signature is not the victim's.
    const real = signed(victimKeys, 1);
    squatter.send({ relayedBatch: { agentKey: victimKeys.publicKey, agentName: 'victim', batch: { payload: real.payload, signature: new Uint8Array(64).fill(7) }, path: ['relay-down'] } });
    await until('the junk handled', () => squatter.isClosed || relay!.health().backlog > 0);

    const victim = await connect('victim', victimKeys);
    victim.send({ batch: real });
    relay!.attach((frame) => (upstream.push(frame), 0), () => buffered);
    await until('a batch forwarded', () => forwarded().length > 0);
    expect(forwarded()).toHaveLength(1);
    expect(Buffer.compare(forwarded()[0]!.batch!.signature!, real.signature)).toBe(0);
    expect(squatter.isClosed).toBe(true);
    const error = squatter.frames.find((f) => f.type === 'error');
    expect(error?.type === 'error' && error.body.code).toBe(ErrorCode.BAD_SIGNATURE);
    expect(relay!.counters()).toMatchObject({ 'relay.rejected.bad_signature': 1 });
  });

  it('holds at most max_batches_per_downstream batches of one downstream session', async () => {
    await startRelay(2);
    const victim = await connect('victim', victimKeys);
    for (const seq of [1, 2, 3]) victim.send({ batch: signed(victimKeys, seq) });
    await until('the victim closed', () => victim.isClosed);
    const error = victim.frames.find((f) => f.type === 'error');
    expect(error?.type === 'error' && error.body.code).toBe(ErrorCode.LIMIT);
    expect(relay!.health().backlog).toBe(2);
  });

  it('drops relayed heartbeats, counted, while the upstream socket has too much buffered', async () => {
    await startRelay();
    relay!.attach((frame) => (upstream.push(frame), 0), () => buffered);
    const victim = await connect('victim', victimKeys);
    const heartbeats = () => upstream.filter((f) => f.relayedHeartbeat).length;
    victim.send({ heartbeat: { backlog: 1 } });
    await until('a heartbeat passed up', () => heartbeats() === 1);
    buffered = 64 * 1024 * 1024;
    victim.send({ heartbeat: { backlog: 2 } });
    await until('the heartbeat counted as dropped', () => (relay!.counters()['relay.dropped.heartbeats'] ?? 0) === 1);
    expect(heartbeats()).toBe(1);
  });
});
