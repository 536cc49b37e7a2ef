import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export interface CaptureOptions {
  /** Interface to capture on, e.g. "lo". */
  iface: string;
  /** BPF capture filter, e.g. "tcp port 41121". */
  filter: string;
  /** pcapng file to write. */
  file: string;
  /** How long tshark may take to report "Capturing on". */
  startTimeoutMs?: number;
}

const MISSING = 'tshark is not installed: install the Debian package "tshark" (apt-get install tshark)';

/**
 * A tshark capture running as a child process. `start` resolves once tshark reports
 * "Capturing on", so traffic sent afterwards is in the file; `stop` sends SIGINT and waits
 * for tshark to flush and exit.
 *
 * @example
 * const capture = await PacketCapture.start({ iface: 'lo', filter: `tcp port ${port}`, file });
 * // ... traffic ...
 * await capture.stop();
 */
export class PacketCapture {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  static async start(options: CaptureOptions): Promise<PacketCapture> {
    const child = spawn('tshark', ['-i', options.iface, '-f', options.filter, '-w', options.file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const capture = new PacketCapture(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`tshark did not start capturing within ${options.startTimeoutMs ?? 20_000} ms: ${capture.stderr}`));
      }, options.startTimeoutMs ?? 20_000);
      const onData = () => {
        if (!capture.stderr.includes('Capturing on')) return;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      };
      child.stderr!.on('data', onData);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(err.code === 'ENOENT' ? MISSING : `tshark failed to start: ${err.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tshark exited with ${code} before capturing: ${capture.stderr}`));
      });
    });
    return capture;
  }

  /** SIGINT, then wait for the exit (SIGKILL after `timeoutMs`). Safe to call twice. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Read a capture back with tshark: one line of `fields` per packet that matches `displayFilter`. */
export async function readCapture(file: string, displayFilter: string, fields: string[], decodeAs: string[] = []): Promise<string[]> {
  const args = ['-r', file, ...decodeAs.flatMap((d) => ['-d', d]), '-Y', displayFilter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const { stdout } = await promisify(execFile)('tshark', args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/**
 * What a passive observer can read of the client→server direction of every TCP connection to
 * `port` in a capture: the streams reassembled from their TCP payloads, and, where a stream is
 * a plain HTTP upgrade followed by WebSocket frames, those frames' payloads unmasked (RFC 6455
 * masks every client frame with a per-frame key sent in the clear, so a raw byte search
 * would miss text that anyone on the path can read). A TLS stream yields no frames.
 */
export async function readableClientBytes(file: string, port: number): Promise<{ streams: Buffer[]; websocketPayloads: Buffer[] }> {
  const lines = await readCapture(file, `tcp.dstport == ${port} && tcp.len > 0`, ['tcp.stream', 'tcp.seq', 'tcp.payload']);
  const segments = new Map<string, Map<number, Buffer>>();
  for (const line of lines) {
    const [stream, seq, hex] = line.split('\t');
    if (stream === undefined || seq === undefined || hex === undefined) continue;
    const bySeq = segments.get(stream) ?? new Map<number, Buffer>();
    bySeq.set(Number(seq), Buffer.from(hex.replace(/:/g, ''), 'hex')); // a retransmission replaces, not repeats
    segments.set(stream, bySeq);
  }
  const streams = [...segments.values()].map((bySeq) => Buffer.concat([...bySeq].sort(([a], [b]) => a - b).map(([, b]) => b)));
  return { streams, websocketPayloads: streams.flatMap(unmaskWebSocketClientStream) };
}

/** The unmasked payloads of the WebSocket frames after a plain-text HTTP upgrade request. */
function unmaskWebSocketClientStream(stream: Buffer): Buffer[] {
  if (!stream.subarray(0, 4).equals(Buffer.from('GET '))) return [];
  const headerEnd = stream.indexOf('\r\n\r\n');
  if (headerEnd < 0) return [];
  const payloads: Buffer[] = [];
  let at = headerEnd + 4;
  // Bounded by the stream length: every frame consumes at least two bytes.
  while (at + 2 <= stream.length) {
    const masked = (stream[at + 1]! & 0x80) !== 0;
    let length = stream[at + 1]! & 0x7f;
    let head = 2;
    if (length === 126) {
      if (at + 4 > stream.length) break;
      length = stream.readUInt16BE(at + 2);
      head = 4;
    } else if (length === 127) {
      if (at + 10 > stream.length) break;
      length = Number(stream.readBigUInt64BE(at + 2));
      head = 10;
    }
    const key = masked ? stream.subarray(at + head, at + head + 4) : undefined;
    const start = at + head + (masked ? 4 : 0);
    const payload = Buffer.from(stream.subarray(start, Math.min(start + length, stream.length)));
    if (key && key.length === 4) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i % 4]!;
    payloads.push(payload);
    at = start + length;
  }
  return payloads;
}
