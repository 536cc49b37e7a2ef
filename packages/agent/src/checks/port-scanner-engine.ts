import { isIP } from 'node:net';
import { constants as osConstants } from 'node:os';
import { connectorFor, noop, type Connector, type ConnectReq, type TcpHandle } from './port-scanner-handles.js';
import type { ProbeQueue } from './port-scanner-queue.js';
import type { HostScan, ScanOptions } from './port-scanner.js';

// The probe loop behind scanPorts: in the calling thread, and in each worker thread when a
// scan is big enough to spread over cores (see port-scanner-worker.ts).

const { errno } = osConstants;
// Linux's EHOSTDOWN, which os.constants.errno does not list.
const EHOSTDOWN = 112;
// libuv reports errors as negative errno values on Linux.
const REFUSED = -errno.ECONNREFUSED;
const CLOSED = new Set([REFUSED, -errno.ECONNRESET]);
const FILTERED = new Set([-errno.ETIMEDOUT, -errno.EHOSTUNREACH, -errno.ENETUNREACH, -EHOSTDOWN]);
// Out of sockets or source ports: retry the probe later with fewer connects in flight.
const RESOURCE = new Set([-errno.EMFILE, -errno.ENFILE, -errno.EADDRNOTAVAIL, -errno.ENOBUFS, -errno.EAGAIN]);
const CANCELED = -errno.ECANCELED;
// Linux leaves a refused socket "connecting" until the next connect(), which fails once with
// ECONNABORTED while it resets the socket; the connect after that goes out normally.
const ABORTED = -errno.ECONNABORTED;
/** Queued probes carry their attempt count in the low bits: probe × ATTEMPTS + attempt. */
const ATTEMPTS = 16;
/** Most retries per silent port (the encoding above leaves room for 15). */
export const MAX_RETRIES = ATTEMPTS - 1;

export interface ResolvedScanOptions extends ScanOptions {
  concurrency: number;
  portTimeoutMs: number;
  maxListedPorts: number;
  retries: number;
}

/**
 * The probe loop. In-flight connects live in fixed slots (typed arrays), one shared
 * completion function serves every probe and one sweep timer expires them all. A socket
 * whose connect was refused (most of a full scan) connects again for the next probe, so a
 * closed port costs a request object and a connect() and no socket of its own.
 */
export class ScanEngine {
  done = 0;
  aborted = false;
  readonly #hosts: HostScan[];
  readonly #ports: readonly number[];
  readonly #options: ResolvedScanOptions;
  readonly #queue: ProbeQueue;
  readonly #onTick: ((done: number, open: number) => void) | undefined;
  readonly #connector: Connector;
  readonly #v6: boolean[];
  /** Probes to run before new ones (encoded with their attempt, see ATTEMPTS). */
  readonly #again: number[] = [];
  #exhausted = false;
  #inFlight = 0;
  #limit: number;
  #open = 0;
  readonly #reqs: (ConnectReq | undefined)[];
  readonly #handles: (TcpHandle | undefined)[];
  readonly #spare: TcpHandle[] = [];
  readonly #slotProbe: Float64Array;
  readonly #slotAttempt: Uint8Array;
  readonly #deadline: Float64Array;
  readonly #freeSlots: Int32Array;
  #freeCount: number;
  #tokens = 0;
  #tokensAt = 0;
  #rateTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #finish: () => void = () => {};
  readonly #oncomplete = (status: number, handle: TcpHandle, req: ConnectReq) => this.#complete(status, handle, req);

  /** `onTick` hears the running totals on every sweep (every 5-100 ms). */
  constructor(hosts: HostScan[], ports: readonly number[], options: ResolvedScanOptions, queue: ProbeQueue, onTick?: (done: number, open: number) => void) {
    this.#hosts = hosts;
    this.#ports = ports;
    this.#options = options;
    this.#queue = queue;
    this.#onTick = onTick;
    this.#connector = connectorFor(options.portableSockets === true);
    this.#v6 = hosts.map((host) => isIP(host.address!) === 6);
    const slots = Math.max(1, Math.floor(options.concurrency));
    this.#limit = slots;
    this.#reqs = new Array<ConnectReq | undefined>(slots).fill(undefined);
    this.#handles = new Array<TcpHandle | undefined>(slots).fill(undefined);
    this.#slotProbe = new Float64Array(slots);
    this.#slotAttempt = new Uint8Array(slots);
    this.#deadline = new Float64Array(slots);
    this.#freeSlots = Int32Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.#freeCount = slots;
    // The bucket starts with one token, as nmap sends its first probe at once: below 1/s a
    // scan would otherwise wait (1 - rate) / rate seconds before probing anything.
    this.#tokens = 1;
  }

  run(signal: AbortSignal): Promise<void> {
    if (this.#hosts.length === 0 || this.#ports.length === 0) return Promise.resolve();
    if (signal.aborted) {
      this.aborted = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        this.aborted = true;
        this.#stop();
      };
      this.#finish = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#tokensAt = performance.now();
      // Sweep often enough that a probe overstays its timeout by at most ~10 %.
      const sweepMs = Math.min(100, Math.max(5, this.#options.portTimeoutMs / 10));
      this.#sweepTimer = setInterval(() => this.#sweep(), sweepMs);
      this.#pump();
    });
  }

  /** The next probe (encoded with its attempt), or -1 when there is none. */
  #take(): number {
    if (this.#again.length > 0) return this.#again.pop()!;
    if (this.#exhausted) return -1;
    const probe = this.#queue.take();
    if (probe < 0) this.#exhausted = true;
    return probe < 0 ? -1 : probe * ATTEMPTS;
  }

  #pump(): void {
    const now = performance.now();
    const { maxRate } = this.#options;
    if (maxRate !== undefined) {
      // Burst of at most a tenth of a second's worth, so the cap holds over short windows too.
      this.#tokens = Math.min(Math.max(1, maxRate / 10), this.#tokens + ((now - this.#tokensAt) * maxRate) / 1000);
      this.#tokensAt = now;
    }
    while (this.#inFlight < this.#limit) {
      const next = this.#take();
      if (next < 0) break;
      if (maxRate !== undefined) {
        if (this.#tokens < 1) {
          this.#again.push(next);
          this.#rateTimer ??= setTimeout(() => {
            this.#rateTimer = undefined;
            this.#pump();
          }, Math.ceil(((1 - this.#tokens) * 1000) / maxRate));
          return;
        }
        this.#tokens -= 1;
      }
      this.#launch(next, now);
    }
    if (this.#inFlight === 0 && this.#exhausted && this.#again.length === 0) this.#stop();
  }

  #launch(encoded: number, now: number): void {
    const attempt = encoded % ATTEMPTS;
    const probe = (encoded - attempt) / ATTEMPTS;
    // Port-major order spreads the load over the hosts of a range instead of one at a time.
    const hostIndex = probe % this.#hosts.length;
    const port = this.#ports[(probe - hostIndex) / this.#hosts.length]!;
    const address = this.#hosts[hostIndex]!.address!;
    const reused = this.#spare.pop();
    const handle = reused ?? this.#connector.handle();
    const req = this.#connector.request();
    const slot = this.#freeSlots[--this.#freeCount]!;
    req.oncomplete = this.#oncomplete;
    req.slot = slot;
    this.#reqs[slot] = req;
    this.#handles[slot] = handle;
    this.#slotProbe[slot] = probe;
    this.#slotAttempt[slot] = attempt;
    this.#deadline[slot] = now + this.#options.portTimeoutMs;
    this.#inFlight++;
    const v6 = this.#v6[hostIndex]!;
    let status = v6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
    if (status === ABORTED && reused !== undefined) status = v6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
    if (status !== 0) this.#settle(slot, status, handle);
  }

  #complete(status: number, handle: TcpHandle, req: ConnectReq): void {
    // A request whose slot moved on was expired by the sweep or the abort; its handle is closed.
    if (status === CANCELED || this.#reqs[req.slot] !== req) return;
    this.#settle(req.slot, status, handle);
    this.#pump();
  }

  #settle(slot: number, status: number, handle: TcpHandle): void {
    const probe = this.#slotProbe[slot]!;
    const attempt = this.#slotAttempt[slot]!;
    this.#release(slot);
    const hostIndex = probe % this.#hosts.length;
    const host = this.#hosts[hostIndex]!;
    const port = this.#ports[(probe - hostIndex) / this.#hosts.length]!;
    if (status === 0) {
      if (isSelfConnect(handle)) {
        host.selfConnects++;
        this.#record(host, port, 'closed');
      } else {
        host.open.push(port);
        this.#open++;
      }
      // RST instead of FIN: the peer sees a reset and we keep no TIME_WAIT socket.
      if (handle.reset(noop) !== 0) handle.close();
      this.done++;
      this.#regain();
      return;
    }
    if (status === REFUSED && this.#connector.reusable && this.#spare.length < this.#reqs.length) this.#spare.push(handle);
    else handle.close();
    if (RESOURCE.has(status) && this.#inFlight > 0) {
      this.#limit = Math.max(1, this.#inFlight);
      this.#again.push(probe * ATTEMPTS + attempt);
      return;
    }
    this.done++;
    this.#regain();
    if (CLOSED.has(status)) this.#record(host, port, 'closed');
    else if (FILTERED.has(status)) this.#record(host, port, 'filtered');
    else host.errors++;
  }

  /** After running out of sockets, win back one slot of concurrency per finished probe. */
  #regain(): void {
    if (this.#limit < this.#reqs.length) this.#limit++;
  }

  #record(host: HostScan, port: number, state: 'closed' | 'filtered'): void {
    const list = state === 'closed' ? host.closedPorts : host.filteredPorts;
    if (state === 'closed') host.closed++;
    else host.filtered++;
    if (list.length < this.#options.maxListedPorts) list.push(port);
  }

  #release(slot: number): void {
    this.#reqs[slot] = undefined;
    this.#handles[slot] = undefined;
    this.#freeSlots[this.#freeCount++] = slot;
    this.#inFlight--;
  }

  #sweep(): void {
    const now = performance.now();
    for (let slot = 0; slot < this.#reqs.length; slot++) {
      if (this.#reqs[slot] === undefined || this.#deadline[slot]! > now) continue;
      const attempt = this.#slotAttempt[slot]!;
      if (attempt < this.#options.retries) {
        // No answer yet: the SYN (or its answer) may have been lost, so send a fresh one as
        // nmap retransmits, before calling the port filtered.
        const probe = this.#slotProbe[slot]!;
        const hostIndex = probe % this.#hosts.length;
        this.#hosts[hostIndex]!.retried = (this.#hosts[hostIndex]!.retried ?? 0) + 1;
        this.#handles[slot]!.close();
        this.#release(slot);
        this.#again.push(probe * ATTEMPTS + attempt + 1);
      } else {
        this.#settle(slot, -errno.ETIMEDOUT, this.#handles[slot]!);
      }
    }
    this.#onTick?.(this.done, this.#open);
    this.#pump();
  }

  #stop(): void {
    if (this.#sweepTimer === undefined) return;
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#rateTimer);
    this.#sweepTimer = this.#rateTimer = undefined;
    for (let slot = 0; slot < this.#reqs.length; slot++) {
      if (this.#reqs[slot] === undefined) continue;
      this.#handles[slot]!.close();
      this.#release(slot);
    }
    for (const handle of this.#spare.splice(0)) handle.close();
    this.#exhausted = true;
    this.#again.length = 0;
    this.#finish();
  }
}

const peer: { address?: string; port?: number } = {};
const local: { address?: string; port?: number } = {};

// Loopback quirk: a connect to a free port in the ephemeral range can pick that same port
// as its source and "succeed" by connecting to itself (TCP simultaneous open).
function isSelfConnect(handle: TcpHandle): boolean {
  if (handle.getsockname(local) !== 0 || handle.getpeername(peer) !== 0) return false;
  return local.port === peer.port && local.address === peer.address;
}
