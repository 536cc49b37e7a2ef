import { escapeBytes } from './bytes-text.js';
import { connect } from 'node:net';

export interface BannerOptions {
  /** Read at most this many bytes per port. */
  maxBytes?: number;
  /** Wait this long for a port to speak first. */
  waitMs?: number;
  /** Grab from at most this many ports per scan (the first ones given). */
  maxPorts?: number;
  /** Connections open at once while grabbing. */
  concurrency?: number;
}

export interface BannerTarget {
  address: string;
  port: number;
}

const QUIET_AFTER_DATA_MS = 50;
const DEFAULTS: Required<BannerOptions> = { maxBytes: 256, waitMs: 300, maxPorts: 64, concurrency: 16 };

/**
 * Read what open ports say first (SSH, SMTP, FTP greet before the client speaks): evidence
 * of what an unexpected port is. Returns the banners in input order, `undefined` for a port
 * that stayed silent, closed or was not tried (past `maxPorts`, or after abort).
 *
 * @example
 * await grabBanners([{ address: '127.0.0.1', port: 22 }], {}, signal) // [<Buffer 53 53 48 2d ...>]
 */
export async function grabBanners(targets: readonly BannerTarget[], options: BannerOptions, signal: AbortSignal): Promise<(Buffer | undefined)[]> {
  const resolved = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const banners = new Array<Buffer | undefined>(targets.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < Math.min(targets.length, resolved.maxPorts) && !signal.aborted) {
      const index = next++;
      banners[index] = await grabBanner(targets[index]!, resolved, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, resolved.concurrency) }, worker));
  return banners;
}

function grabBanner(target: BannerTarget, options: Required<BannerOptions>, signal: AbortSignal): Promise<Buffer | undefined> {
  return readAnswer(target, NOTHING, { maxBytes: options.maxBytes, waitMs: options.waitMs }, signal);
}

const NOTHING = Buffer.alloc(0);

/**
 * Send `payload` (empty: only listen) and read what the port answers: at most `maxBytes`,
 * within `waitMs` from the start (the handshake included, so no port costs more), ending
 * `quietMs` after the last data (a greeting or a reply comes in one burst; a pause after it
 * means the server waits for us). Resolves undefined when nothing came.
 */
export function readAnswer(
  target: BannerTarget,
  payload: Buffer,
  limits: { maxBytes: number; waitMs: number; quietMs?: number },
  signal: AbortSignal,
): Promise<Buffer | undefined> {
  const quietMs = limits.quietMs ?? QUIET_AFTER_DATA_MS;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect({ host: target.address, port: target.port });
    let quiet: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(quiet);
      signal.removeEventListener('abort', finish);
      socket.removeAllListeners();
      socket.on('error', () => {});
      // RST: nothing more to say, and a FIN would leave TIME_WAIT behind on our side.
      if (!socket.destroyed) socket.resetAndDestroy();
      resolve(size > 0 ? Buffer.concat(chunks).subarray(0, limits.maxBytes) : undefined);
    };
    const timer = setTimeout(finish, limits.waitMs);
    signal.addEventListener('abort', finish, { once: true });
    if (payload.length > 0) socket.once('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limits.maxBytes) finish();
      else quiet = quiet?.refresh() ?? setTimeout(finish, quietMs);
    });
    socket.once('end', finish);
    socket.once('error', finish);
  });
}

/**
 * Banner bytes as one printable line: ASCII kept, `\r` `\n` `\t` `\\` spelled out, every
 * other byte as `\xNN`, so a binary or hostile greeting cannot break a log line or terminal.
 */
export function escapeBanner(bytes: Uint8Array): string {
  return escapeBytes(bytes);
}
