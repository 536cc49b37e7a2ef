import type { Socket } from 'node:net';
import { escapeBytes } from './bytes-text.js';

const EMPTY = Buffer.alloc(0);

/**
 * A bounded, readable record of one conversation: `> sent`, `< received`, `* event`, and
 * the failure as `! step N: ...`. The failure line is always kept; earlier lines fill what
 * is left of `maxBytes`, oldest first, so the start of the dialogue survives truncation.
 */
export class Transcript {
  readonly #maxBytes: number;
  #lines: string[] = [];
  #bytes = 0;
  #dropped = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  add(prefix: '>' | '<' | '*', text: string): void {
    if (this.#dropped) return;
    const line = `${prefix} ${text}\n`;
    const size = Buffer.byteLength(line);
    if (this.#bytes + size > this.#maxBytes) {
      this.#dropped = true;
      return;
    }
    this.#lines.push(line);
    this.#bytes += size;
  }

  /** Add received or sent bytes, escaped; escaping stops early so a 64 KiB chunk stays cheap. */
  addBytes(prefix: '>' | '<', bytes: Uint8Array): void {
    this.add(prefix, escapeBytes(bytes, this.#maxBytes));
  }

  /** The transcript as UTF-8, ending with `failure`, never longer than `maxBytes`. */
  encode(failure: string): Uint8Array {
    const marker = '… transcript truncated\n';
    let last = `! ${failure}\n`;
    if (Buffer.byteLength(last) > this.#maxBytes / 2) last = `! ${failure.slice(0, Math.floor(this.#maxBytes / 4))}…\n`;
    let budget = this.#maxBytes - Buffer.byteLength(last) - Buffer.byteLength(marker);
    const kept: string[] = [];
    let truncated = this.#dropped;
    for (const line of this.#lines) {
      const size = Buffer.byteLength(line);
      if (size > budget) {
        truncated = true;
        break;
      }
      kept.push(line);
      budget -= size;
    }
    if (truncated) kept.push(marker);
    kept.push(last);
    return new TextEncoder().encode(kept.join(''));
  }
}

/**
 * The receiving side of one conversation over a socket that may be swapped for a TLS socket
 * mid-way. Bytes wait in `pending` until a step consumes them; at most `maxReceiveBytes` are
 * held, beyond that `overflow` is set and the rest is dropped (still counted).
 */
export class Session {
  #socket: Socket;
  /** Sockets wrapped by a TLS upgrade; destroyed with the session in case the wrapper leaves them. */
  #wrapped: Socket[] = [];
  #pending: Buffer = EMPTY;
  #wake: (() => void) | undefined;
  readonly #maxReceiveBytes: number;
  readonly #transcript: Transcript;
  overflow = false;
  ended = false;
  bytesReceived = 0;
  bytesSent = 0;

  constructor(socket: Socket, maxReceiveBytes: number, transcript: Transcript) {
    this.#socket = socket;
    this.#maxReceiveBytes = maxReceiveBytes;
    this.#transcript = transcript;
    this.#listen(socket);
  }

  get socket(): Socket {
    return this.#socket;
  }

  get transcript(): Transcript {
    return this.#transcript;
  }

  get pending(): Buffer {
    return this.#pending;
  }

  #onData = (chunk: Buffer): void => {
    this.bytesReceived += chunk.length;
    this.#transcript.addBytes('<', chunk);
    const room = this.#maxReceiveBytes - this.#pending.length;
    if (chunk.length > room) this.overflow = true;
    if (room > 0) this.#pending = Buffer.concat([this.#pending, room < chunk.length ? chunk.subarray(0, room) : chunk]);
    this.wakeUp();
  };

  #onEnd = (): void => {
    if (!this.ended) this.#transcript.add('*', 'server closed the connection');
    this.ended = true;
    this.wakeUp();
  };

  #onError = (err: NodeJS.ErrnoException): void => {
    if (!this.ended) this.#transcript.add('*', `connection error ${err.code ?? err.message}`);
    this.ended = true;
    this.wakeUp();
  };

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  #unlisten(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onEnd);
    socket.off('error', this.#onError);
    // A late error on a socket nobody listens to would otherwise crash the agent.
    socket.on('error', () => {});
  }

  /** Hand the socket over (for a TLS upgrade); must be followed by {@link adopt}. */
  release(): Socket {
    this.#unlisten(this.#socket);
    this.#wrapped.push(this.#socket);
    return this.#socket;
  }

  /** Continue the conversation on `socket` (the TLS socket wrapping the old one). */
  adopt(socket: Socket): void {
    this.#socket = socket;
    this.#listen(socket);
  }

  /** Consume the first `count` pending bytes. */
  take(count: number): void {
    this.#pending = this.#pending.subarray(count);
  }

  /** Consume everything pending, and forget an overflow: the next step starts clean. */
  takeAll(): void {
    this.#pending = EMPTY;
    this.overflow = false;
  }

  wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolve on the next data, close, error or write completion, at `deadline`, or on abort. */
  wait(deadline: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = Number.isFinite(deadline) ? setTimeout(done, Math.max(0, deadline - performance.now())) : undefined;
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
      if (signal.aborted) done();
    });
  }

  close(): void {
    this.#unlisten(this.#socket);
    this.#socket.destroy();
    for (const socket of this.#wrapped) socket.destroy();
    this.wakeUp();
  }
}
