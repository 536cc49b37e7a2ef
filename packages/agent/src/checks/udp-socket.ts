import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { HostPort } from './target.js';

/** Limits of a connected UDP socket. */
export interface ConnectedUdpSocketOptions {
  /** Datagrams held between reads, so a chatty peer cannot grow memory; later ones are dropped. */
  maxQueuedDatagrams: number;
}

/** Why a datagram did not come: outcomes, not exceptions. */
export type UdpFailure =
  | { kind: 'aborted' }
  | { kind: 'port_unreachable' }
  | { kind: 'resolve_failed' | 'unreachable' | 'error'; code: string };
export type Received = { kind: 'datagram'; bytes: Buffer } | { kind: 'timeout' } | UdpFailure;

/** Map a socket error to an outcome; `ECONNREFUSED` on UDP means ICMP port unreachable. */
export function failureFor(err: unknown): Exclude<UdpFailure, { kind: 'aborted' }> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  // A connected UDP socket is the only way to hear that a port is closed: Linux turns
  // the ICMP port-unreachable into ECONNREFUSED on the socket's next recvmsg or send.
  if (code === 'ECONNREFUSED') return { kind: 'port_unreachable' };
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'].includes(code)) return { kind: 'unreachable', code };
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'ENODATA'].includes(code)) return { kind: 'resolve_failed', code };
  return { kind: 'error', code };
}

/** Settles with `promise`, or with `{ kind: 'aborted' }` as soon as `signal` aborts. */
export function untilAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | { kind: 'aborted' }> {
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve({ kind: 'aborted' });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A UDP socket connected to one peer: the kernel drops datagrams from other sources and
 * reports ICMP errors for ours. Datagrams queue (bounded) so `receive` gets the next one
 * even when it came before anyone asked. Used by the `udp` and `dns` checks.
 *
 * @example
 * const socket = await ConnectedUdpSocket.open({ host: '127.0.0.1', port: 7 }, signal, { maxQueuedDatagrams: 16 });
 * if (socket instanceof ConnectedUdpSocket) {
 *   await socket.send(bytes);
 *   const got = await socket.receive(2_000, signal); // { kind: 'datagram', bytes } | { kind: 'timeout' } | ...
 *   socket.close();
 * }
 */
export class ConnectedUdpSocket {
  readonly #socket: Socket;
  readonly #options: ConnectedUdpSocketOptions;
  readonly #queue: Buffer[] = [];
  #failure: UdpFailure | undefined;
  #wake: (() => void) | undefined;
  #dropped = 0;

  private constructor(socket: Socket, options: ConnectedUdpSocketOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on('message', (bytes: Buffer) => {
      if (this.#queue.length < this.#options.maxQueuedDatagrams) this.#queue.push(bytes);
      else this.#dropped += 1;
      this.#wake?.();
    });
    socket.on('error', (err: unknown) => {
      this.#failure = failureFor(err);
      this.#wake?.();
    });
  }

  /** Resolve the host unless it is an address, then connect. Never rejects for network outcomes. */
  static async open(target: HostPort, signal: AbortSignal, options: ConnectedUdpSocketOptions): Promise<ConnectedUdpSocket | UdpFailure> {
    // Loaded with the first UDP or DNS check: other agents keep dgram out of their memory.
    const [{ createSocket }, { lookup }] = await Promise.all([import('node:dgram'), import('node:dns/promises')]);
    let address = target.host;
    let family = isIP(address);
    if (family === 0) {
      const found = await untilAbort(lookup(target.host).catch(failureFor), signal);
      if ('kind' in found) return found;
      ({ address, family } = found);
    }
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    const connected = new Promise<UdpFailure | undefined>((resolve) => {
      socket.once('error', (err: unknown) => resolve(failureFor(err)));
      socket.connect(target.port, address, () => resolve(undefined));
    });
    const failure = await untilAbort(connected, signal);
    socket.removeAllListeners();
    if (failure === undefined) return new ConnectedUdpSocket(socket, options);
    socket.on('error', () => {});
    socket.close();
    return failure;
  }

  /** Datagrams dropped because nobody read the queue in time. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Send one datagram; resolves with a failure, or undefined once the kernel took it. */
  send(bytes: Uint8Array): Promise<UdpFailure | undefined> {
    return new Promise((resolve) => this.#socket.send(bytes, (err: Error | null) => resolve(err ? failureFor(err) : undefined)));
  }

  /** The next datagram, or what stopped it: step timeout, abort, or a kernel-reported error. */
  async receive(timeoutMs: number, signal: AbortSignal): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) return { kind: 'datagram', bytes: next };
      const failure = this.#failure;
      this.#failure = undefined;
      if (failure !== undefined) return failure;
      if (signal.aborted) return { kind: 'aborted' };
      const left = deadline - performance.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          this.#wake = undefined;
          resolve();
        };
        // setTimeout treats delays past 2^31-1 ms as 1 ms; the caller's signal covers longer waits.
        const timer = setTimeout(wake, Math.min(left, 2_147_483_647));
        signal.addEventListener('abort', wake, { once: true });
        this.#wake = wake;
      });
    }
  }

  /** Close the socket and release a pending `receive`, which then sees the abort or timeout it waits for. */
  close(): void {
    this.#wake?.();
    this.#socket.removeAllListeners();
    this.#socket.on('error', () => {});
    this.#socket.close();
  }
}
