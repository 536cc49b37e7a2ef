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
      // RST: we were only listening, and a FIN would leave TIME_WAIT behind on our side.
      if (!socket.destroyed) socket.resetAndDestroy();
      resolve(size > 0 ? Buffer.concat(chunks).subarray(0, options.maxBytes) : undefined);
    };
    // The wait covers the handshake too, so no port costs more than waitMs.
    const timer = setTimeout(finish, options.waitMs);
    signal.addEventListener('abort', finish, { once: true });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= options.maxBytes) finish();
      // A greeting comes in one burst; a short pause after it means the server waits for us.
      else quiet = quiet?.refresh() ?? setTimeout(finish, QUIET_AFTER_DATA_MS);
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
