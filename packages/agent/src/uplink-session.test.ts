// The session's send side against a socket whose unsent bytes the test controls. Kernel TCP
// backpressure on loopback cannot be produced on demand, so the socket stands in for ws and
// the kernel; the handshake, the collector's answers, the outbox and the batches are real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CollectorHandshake,
  decodeFrame,
  encodeFrame,
  encodeKey,
  generateKeyPair,
  openBatch,
  PublicKey,
  Status,
  type Batch,
  type DecodedFrame,
  type FrameInit,
  type Hello,
} from '@outpost/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAgentConfig } from './config.js';
import { DrainProgress } from './drain-progress.js';
import { Outbox, type NewResult } from './outbox.js';
import { UplinkSession, type UplinkSocket } from './uplink-session.js';

const MAX_BATCH_BYTES = 8192;
const agentKeys = generateKeyPair();
const collectorKeys = generateKeyPair();

interface SentFrame {
  frame: DecodedFrame;
  bytes: number;
  /** What the socket held unsent when this frame was handed to it. */
  bufferedBefore: number;
}

/**
 * ws and the kernel in one: frames wait as unsent bytes until the test flushes them, and
 * each write callback is called as its frame leaves, in order, as ws does. With
 * `writeAtOnce` the kernel takes every frame as it comes: nothing ever waits.
 */
class HeldSocket implements UplinkSocket {
  readonly sent: SentFrame[] = [];
  readonly #writeAtOnce: boolean;
  #unsent: { bytes: number; onWritten: (() => void) | undefined }[] = [];
  #buffered = 0;

  constructor(options: { writeAtOnce?: boolean } = {}) {
    this.#writeAtOnce = options.writeAtOnce ?? false;
  }

  send(frame: FrameInit, onWritten?: () => void): number {
    const bytes = encodeFrame(frame);
    this.sent.push({ frame: decodeFrame(bytes), bytes: bytes.length, bufferedBefore: this.#buffered });
    const waiting = this.#writeAtOnce ? 0 : bytes.length;
    this.#buffered += waiting;
    this.#unsent.push({ bytes: waiting, onWritten });
    return bytes.length;
  }

  fail(why: string): void {
    throw new Error(`session failed the socket: ${why}`);
  }

  isOpen(): boolean {
    return true;
  }

  bufferedBytes(): number {
    return this.#buffered;
  }

  /** Write out what is unsent now; frames sent from the callbacks wait for the next flush. */
  flush(): void {
    for (const write of this.#unsent.splice(0)) {
      this.#buffered -= write.bytes;
      write.onWritten?.();
    }
  }

  get batches(): SentFrame[] {
    return this.sent.filter((sent) => sent.frame.type === 'batch');
  }
}

let dir: string;
let outbox: Outbox;
let session: UplinkSession | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-uplink-session-'));
  outbox = Outbox.open(join(dir, 'outbox.db'));
});
afterEach(() => {
  session?.closed();
  session = undefined;
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const result = (i: number): NewResult => ({
  checkId: 'tcp:127.0.0.1:22', startedAtMs: 1_000 + i, durationUs: 1, status: Status.OK, observation: 'open', message: 'm'.repeat(200), metrics: {}, checkConfigHash: 'h',
});

/** A session through the real handshake with a collector, its first pump done at Welcome. */
function connect(socket: HeldSocket, uplink: { window: number; heartbeatInterval?: string }): UplinkSession {
  const config = parseAgentConfig(
    `agent:
  name: lab-1
  data_dir: ${JSON.stringify(join(dir, 'data'))}
collector:
  url: ws://127.0.0.1:41121
  insecure: true
  key: ${encodeKey(collectorKeys.publicKey)}
uplink:
  window: ${uplink.window}
  max_batch_bytes: ${MAX_BATCH_BYTES}
  heartbeat_interval: ${uplink.heartbeatInterval ?? '1h'}
`,
    join(dir, 'agent.yaml'),
  );
  const logger = pino({ level: 'silent' });
  let batchSeq = 0;
  const created = new UplinkSession({
    host: {
      options: { config, keyPair: agentKeys, outbox, logger, software: 'outpost-agent/test' },
      log: logger,
      progress: new DrainProgress(outbox, logger),
      keyPair: agentKeys,
      setState: () => {},
      endorsedCollectorKeys: () => [],
      nextBatchSeq: () => ++batchSeq,
      keyRotated: () => {},
    },
    socket,
    url: config.collector.urls[0]!,
    fallback: false,
    keyPair: agentKeys,
    rotateTo: undefined,
    nextKeyFile: join(dir, 'agent.key.next'),
  });
  session = created;
  const collector = new CollectorHandshake({ keyPair: collectorKeys });
  created.onFrame(decodeFrame(encodeFrame({ challenge: collector.challenge() })));
  const hello = socket.sent.at(-1)!.frame;
  expect(hello.type).toBe('hello');
  collector.onHello(hello.body as Hello);
  socket.flush(); // the collector has read the Hello
  created.onFrame(decodeFrame(encodeFrame({ welcome: collector.welcome({ lastBatchSeq: 0, maxResultId: 0 }) })));
  return created;
}

const opened = (sent: SentFrame) => openBatch(sent.frame.body as Batch, PublicKey.from(agentKeys.publicKey));
const bytesOf = (frames: SentFrame[]) => frames.reduce((sum, sent) => sum + sent.bytes, 0);

/** No batch was taken while a batch's bytes already waited unsent: never much more than two batches waited. */
function expectBoundKept(socket: HeldSocket): void {
  for (const batch of socket.batches) {
    expect(batch.bufferedBefore).toBeLessThan(MAX_BATCH_BYTES);
    // A batch frame is its rows (at most max_batch_bytes) plus keys, signature and tags.
    expect(batch.bufferedBefore + batch.bytes).toBeLessThan(2 * MAX_BATCH_BYTES + 512);
  }
}

describe('UplinkSession send buffer', () => {
  it('takes no batch while a batch of bytes waits unsent, and fills the window as the socket drains', () => {
    outbox.append(Array.from({ length: 4_000 }, (_, i) => result(i)));
    const socket = new HeldSocket();
    const live = connect(socket, { window: 64 });

    // The newest result goes ahead alone, then one full batch: the bound is reached.
    const first = socket.batches;
    expect(first).toHaveLength(2);
    expect(opened(first[0]!).results).toHaveLength(1);
    expect(opened(first[1]!).results.length).toBeGreaterThan(20);
    // Unsent: the heartbeat sent on connect and the two batches.
    expect(socket.bufferedBytes()).toBe(bytesOf(first) + bytesOf(socket.sent.filter((sent) => sent.frame.type === 'heartbeat')));
    expect(socket.bufferedBytes()).toBeGreaterThanOrEqual(MAX_BATCH_BYTES);
    live.pump(); // new rows in the outbox change nothing while the bytes wait
    expect(socket.batches).toHaveLength(2);

    // Each flush lets one or two more batches out (what fits under the bound), until the window is full.
    const perFlush: number[] = [];
    for (let flushes = 0; flushes < 200; flushes++) {
      const before = socket.batches.length;
      socket.flush();
      if (socket.batches.length === before) break;
      perFlush.push(socket.batches.length - before);
      if (socket.batches.length < 64) expect(socket.bufferedBytes()).toBeGreaterThanOrEqual(MAX_BATCH_BYTES);
    }
    for (const sent of perFlush) expect([1, 2]).toContain(sent);
    expect(perFlush.length).toBeGreaterThanOrEqual(31);
    expect(socket.batches).toHaveLength(64);
    expect(live.queue?.inFlight).toBe(64);
    expectBoundKept(socket);
    const ids = socket.batches.flatMap((sent) => opened(sent).results.map((r) => Number(r.resultId)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(outbox.depth().count).toBeGreaterThan(ids.length); // the window, not the outbox, ended it
  });

  it('sends nothing more on an Ack while the bytes still wait', () => {
    outbox.append(Array.from({ length: 1_000 }, (_, i) => result(i)));
    const socket = new HeldSocket();
    const live = connect(socket, { window: 64 });
    expect(socket.batches).toHaveLength(2);
    const firstSeq = Number(opened(socket.batches[0]!).batchSeq);
    live.onFrame(decodeFrame(encodeFrame({ ack: { batchSeq: firstSeq, stored: 1, duplicates: 0 } })));
    expect(live.queue?.inFlight).toBe(1);
    expect(socket.batches).toHaveLength(2);
    socket.flush();
    expect(socket.batches.length).toBeGreaterThan(2);
    expectBoundKept(socket);
  });

  it('sends nothing from a write callback that comes after the session closed', () => {
    outbox.append(Array.from({ length: 1_000 }, (_, i) => result(i)));
    const socket = new HeldSocket();
    const live = connect(socket, { window: 64 });
    expect(socket.batches).toHaveLength(2);
    const frames = socket.sent.length;
    live.closed();
    socket.flush(); // the late writes of a socket that closed (it even still claims to be open)
    expect(socket.bufferedBytes()).toBe(0);
    expect(socket.sent).toHaveLength(frames);
    live.pump();
    expect(socket.sent).toHaveLength(frames);
  });

  it('sends a heartbeat as soon as it connects, and heartbeats while batches are held back', async () => {
    outbox.append(Array.from({ length: 1_000 }, (_, i) => result(i)));
    const socket = new HeldSocket();
    connect(socket, { window: 64, heartbeatInterval: '200ms' });
    expect(socket.batches).toHaveLength(2);
    // The collector learns this connection's backlog before any batch: it judges drains and stale checks by it.
    const types = socket.sent.map((sent) => sent.frame.type);
    expect(types.slice(types.indexOf('hello') + 1, types.indexOf('batch'))).toEqual(['heartbeat']);
    expect(socket.sent.find((sent) => sent.frame.type === 'heartbeat')!.frame.body).toMatchObject({ backlog: 1_000 });
    const heartbeats = () => socket.sent.filter((sent) => sent.frame.type === 'heartbeat');
    await vi.waitFor(() => expect(heartbeats().length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 50 });
    expect(heartbeats()[1]!.bufferedBefore).toBeGreaterThanOrEqual(MAX_BATCH_BYTES);
    expect(socket.batches).toHaveLength(2);
  });

  it('keeps to the window when nothing waits unsent', () => {
    outbox.append(Array.from({ length: 1_000 }, (_, i) => result(i)));
    const socket = new HeldSocket({ writeAtOnce: true });
    const live = connect(socket, { window: 4 });
    expect(socket.batches).toHaveLength(4);
    expect(socket.batches.map((sent) => sent.bufferedBefore)).toEqual([0, 0, 0, 0]);
    socket.flush();
    live.pump();
    expect(socket.batches).toHaveLength(4);
    expect(live.queue?.inFlight).toBe(4);
    expect(outbox.depth().count).toBe(1_000);
  });
});
