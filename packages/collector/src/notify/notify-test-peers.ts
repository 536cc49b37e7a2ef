// Real peers for the notify tests: an HTTP receiver on 127.0.0.1:0, node scripts as
// command notifiers, a temp SQLite file with the notifications table, a capturing logger.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import { NOTIFICATIONS_SCHEMA } from './queue.js';
import type { AlertEvent } from './types.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver does with request number `index` (0-based): a status, or hang. */
export type Answer = (request: ReceivedRequest, index: number) => number | 'hang' | { status: number; location: string };

/** An HTTP server on 127.0.0.1:0 that records every request and answers as scripted. */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #hanging: ServerResponse[] = [];
  #answer: Answer;

  private constructor(server: Server, answer: Answer) {
    this.#server = server;
    this.#answer = answer;
  }

  static async start(answer: Answer = () => 200): Promise<TestReceiver> {
    const server = createServer();
    const receiver = new TestReceiver(server, answer);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = receiver.requests.length;
        receiver.requests.push(request);
        const answer = receiver.#answer(request, index);
        if (answer === 'hang') receiver.#hanging.push(res);
        else if (typeof answer === 'number') res.writeHead(answer).end('answer');
        else res.writeHead(answer.status, { location: answer.location }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Requests still held open without an answer. */
  get hanging(): number {
    return this.#hanging.filter((res) => !res.writableEnded && !res.destroyed).length;
  }

  set answer(answer: Answer) {
    this.#answer = answer;
  }

  bodies(): Record<string, unknown>[] {
    return this.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A loopback URL nobody listens on (a port just bound and released). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

/** A temp directory with a collector-like SQLite file holding the notifications table. */
export class TempDatabase {
  readonly dir = mkdtempSync(join(tmpdir(), 'outpost-notify-'));
  readonly file = join(this.dir, 'collector.db');
  #handles: Database.Database[] = [];

  /** Open (another) handle on the same file, creating the table the first time. */
  open(): Database.Database {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'notifications'`).get();
    if (exists === undefined) db.exec(NOTIFICATIONS_SCHEMA);
    this.#handles.push(db);
    return db;
  }

  /** Write a node script into the directory; returns the argv that runs it. */
  script(name: string, source: string, ...args: string[]): string[] {
    const path = join(this.dir, name);
    writeFileSync(path, source);
    return [process.execPath, path, ...args];
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    for (const db of this.#handles) if (db.open) db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; warnings: () => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, warnings: () => lines.filter((line) => line.level === 40) };
}

/** A counters sink like the collector's. */
export class TestCounters {
  readonly values = new Map<string, number>();
  add(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }
  get(name: string): number {
    return this.values.get(name) ?? 0;
  }
}

export function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: 1,
    kind: 'check',
    agent: 'lab-1',
    check: 'web',
    at: 1_700_000_000_000,
    from: 'OK',
    to: 'CRITICAL',
    previousDurationMs: 7_980_000,
    backfilled: false,
    message: 'lab-1/web: OK -> CRITICAL (connection refused) after 2 h 13 min OK',
    labels: {},
    ...overrides,
  };
}

export async function eventually<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
