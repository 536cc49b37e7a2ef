import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ScanEngine, type ResolvedScanOptions } from './port-scanner-engine.js';
import { ProbeQueue, type SharedProbes } from './port-scanner-queue.js';
import type { HostScan } from './port-scanner.js';

// One shard of a scan on a worker thread: the main-thread side (runInWorker) and, when this
// file is a worker's entry point, the worker side at the bottom.

/** Under a TypeScript runner (vitest) this file is .ts, which a worker cannot load. */
export const WORKERS_AVAILABLE = import.meta.url.endsWith('.js');

/** What the main thread sends a worker: its shard of the scan. */
interface ShardRequest {
  kind: 'outpost-scan-shard';
  shard: number;
  hosts: HostScan[];
  ports: readonly number[];
  shared: SharedProbes;
  options: ResolvedScanOptions;
}

/** What a worker sends back: running totals, then its hosts when it is done. */
type ShardMessage = { type: 'tick'; done: number; open: number } | { type: 'done'; hosts: HostScan[]; done: number; aborted: boolean };

export interface ShardOutcome {
  hosts: HostScan[];
  done: number;
  aborted: boolean;
}

const SHARD_TICK_MS = 250;

/**
 * Run shard `shard` in a worker thread, claiming probes from `shared`. If the worker cannot
 * start or dies, `fallback` runs here instead and, given the probes the worker had claimed,
 * scans them again, so the result stays complete.
 */
export function runInWorker(
  hosts: HostScan[],
  ports: readonly number[],
  shard: number,
  shared: SharedProbes,
  options: ResolvedScanOptions,
  signal: AbortSignal,
  onTick: (done: number, open: number) => void,
  fallback: () => Promise<ShardOutcome>,
): Promise<ShardOutcome> {
  const request: ShardRequest = { kind: 'outpost-scan-shard', shard, hosts, ports, shared, options };
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    const onAbort = () => worker.postMessage('abort');
    let settled = false;
    const settle = (outcome: ShardOutcome | undefined) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve(outcome ?? fallback());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    worker.on('message', (message: ShardMessage) => {
      if (message.type === 'tick') onTick(message.done, message.open);
      else settle(message);
    });
    worker.once('error', () => settle(undefined));
    worker.once('exit', () => settle(undefined));
  });
}

if (!isMainThread && parentPort !== null && (workerData as Partial<ShardRequest> | null)?.kind === 'outpost-scan-shard') {
  const port = parentPort;
  const { shard, hosts, ports, shared, options } = workerData as ShardRequest;
  const controller = new AbortController();
  port.on('message', (message: unknown) => message === 'abort' && controller.abort());
  let lastTick = 0;
  const engine = new ScanEngine(hosts, ports, options, new ProbeQueue([], shared, shard), (done, open) => {
    const now = performance.now();
    if (now - lastTick < SHARD_TICK_MS) return;
    lastTick = now;
    port.postMessage({ type: 'tick', done, open } satisfies ShardMessage);
  });
  void engine.run(controller.signal).then(() => {
    port.postMessage({ type: 'done', hosts, done: engine.done, aborted: engine.aborted } satisfies ShardMessage);
    port.close();
  });
}
