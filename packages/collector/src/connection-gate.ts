import type { Socket } from 'node:net';
import type { Counters } from './counters.js';

export interface ConnectionGateOptions {
  /** Connections not yet admitted, in total and per source address. */
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  /** From TCP accept to admission (TLS, upgrade and handshake together). */
  deadlineMs: number;
  /** New connections per second per source address, with a burst allowance. */
  maxConnectsPerSecondPerAddress: number;
  connectBurstPerAddress: number;
  counters: Counters;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; a full bucket carries no information and is dropped first. */
const MAX_BUCKETS = 10_000;

const connectionKey = (socket: Socket) => `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`;

/**
 * Bounds what a stranger can hold open: every TCP connection counts against the limits
 * from the moment it is accepted (before TLS costs anything) until its agent is admitted
 * or it closes, and one that is not admitted within the deadline is cut off.
 *
 * @example
 * net.createServer((socket) => gate.accept(socket) && tlsServer.emit('connection', socket));
 * // ...after a verified, admitted Hello on that connection:
 * gate.admitted(tlsSocket);
 */
export class ConnectionGate {
  readonly #options: ConnectionGateOptions;
  readonly #perAddress = new Map<string, number>();
  readonly #pending = new Map<string, () => void>();
  readonly #buckets = new Map<string, Bucket>();
  #total = 0;

  constructor(options: ConnectionGateOptions) {
    this.#options = options;
  }

  get unauthenticated(): number {
    return this.#total;
  }

  /** Count a new TCP connection; false (and the socket destroyed) when a limit is reached. */
  accept(socket: Socket): boolean {
    const { counters, maxUnauthenticated, maxUnauthenticatedPerAddress, deadlineMs } = this.#options;
    const address = socket.remoteAddress ?? '?';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    const refusal = !this.#takeToken(address)
      ? 'rejected.rate_limit'
      : this.#total >= maxUnauthenticated || fromAddress >= maxUnauthenticatedPerAddress
        ? 'rejected.unauthenticated_limit'
        : undefined;
    if (refusal) {
      counters.add(refusal);
      socket.destroy();
      return false;
    }
    this.#perAddress.set(address, fromAddress + 1);
    this.#total += 1;
    const key = connectionKey(socket);
    const deadline = setTimeout(() => {
      counters.add('rejected.handshake_timeout');
      socket.destroy();
    }, deadlineMs);
    deadline.unref();
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      clearTimeout(deadline);
      this.#pending.delete(key);
      this.#total -= 1;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    };
    this.#pending.set(key, release);
    socket.once('close', release);
    return true;
  }

  /** Token bucket per source address: refills at the configured rate up to the burst. */
  #takeToken(address: string): boolean {
    const { maxConnectsPerSecondPerAddress: rate, connectBurstPerAddress: burst } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    const bucket = this.#buckets.get(address) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    this.#buckets.delete(address);
    this.#buckets.set(address, bucket);
    if (this.#buckets.size > MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
    return true;
  }

  /** The connection behind `socket` (the TLS socket is fine) belongs to an admitted agent now. */
  admitted(socket: Socket | undefined): void {
    if (socket) this.#pending.get(connectionKey(socket))?.();
  }
}
