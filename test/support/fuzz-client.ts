import { readFileSync } from 'node:fs';
import { decodeFrame } from '@outpost/protocol';
import { WebSocket } from 'ws';
import type { FuzzInput } from './fuzz-frames.js';

/** How one hostile connection ended, as its client saw it. */
export interface ConnectionResult {
  input: FuzzInput | undefined;
  /** WebSocket close code, when the upgrade succeeded. */
  closeCode: number | undefined;
  /** HTTP status of a refused upgrade (503 past the unauthenticated limit). */
  upgradeStatus: number | undefined;
  /** The collector did not close within the client's deadline: the client cut it. */
  hung: boolean;
}

export interface FuzzConnectionOptions {
  url: string;
  /** Source address on 127.0.0.0/8, to spread connections over the per-address limit. */
  localAddress: string;
  /** Build what to send once the Challenge is in (valid signatures need its nonce). */
  build: (challengeNonce: Uint8Array) => FuzzInput;
  timeoutMs: number;
}

/**
 * One connection to a real collector: TLS, upgrade, wait for the Challenge, send the fuzz
 * messages back to back, then wait for the collector to close. Never rejects.
 */
export function fuzzConnection(options: FuzzConnectionOptions): Promise<ConnectionResult> {
  return new Promise((resolve) => {
    const result: ConnectionResult = { input: undefined, closeCode: undefined, upgradeStatus: undefined, hung: false };
    const ws = new WebSocket(options.url, { rejectUnauthorized: false, perMessageDeflate: false, localAddress: options.localAddress, maxPayload: 1 << 20 });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.hung = true;
      ws.terminate();
      finish();
    }, options.timeoutMs);
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      result.upgradeStatus = res.statusCode;
      res.resume();
      ws.terminate();
      finish();
    });
    ws.once('message', (data: Buffer) => {
      let nonce: Uint8Array;
      try {
        const frame = decodeFrame(data);
        if (frame.type !== 'challenge') throw new Error(`first frame is ${frame.type}`);
        nonce = frame.body.nonce;
      } catch {
        ws.terminate();
        return;
      }
      result.input = options.build(nonce);
      for (const message of result.input.messages) ws.send(message, { binary: typeof message !== 'string' });
    });
    ws.on('close', (code: number) => {
      result.closeCode = code;
      finish();
    });
  });
}

/**
 * Run `count` tasks with at most `concurrency` in flight; `task(i, worker)` must not reject.
 * Stops starting new tasks once `deadline` (epoch ms) has passed.
 */
export async function pool<T>(count: number, concurrency: number, deadline: number, task: (index: number, worker: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < count && Date.now() < deadline) {
        const index = next++;
        out.push(await task(index, worker));
      }
    }),
  );
  return out;
}

/** Resident set size of a process in MiB, from /proc/<pid>/status (Linux). */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Sample a process's RSS every `everyMs` until stopped; `max` is the peak seen. */
export class RssSampler {
  max = 0;
  samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly pid: number, everyMs = 200) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    try {
      this.max = Math.max(this.max, rssMiB(this.pid));
      this.samples += 1;
    } catch {
      // the process is gone; the test's liveness assertions report that
    }
  }

  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.max;
  }
}
