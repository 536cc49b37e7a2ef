// A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, a temporary
// data directory, 127.0.0.1 on a free port, trust authentication. Never a system cluster.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresServerOptions {
  /**
   * Keep fsync and synchronous commit on, as in production (benchmarks). Tests turn them
   * off: they prove behaviour, not durability across power cuts, and run on a busy machine.
   */
  durable?: boolean;
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /**
   * More server settings (`-c name=value`), e.g. `{ shared_preload_libraries: 'pg_stat_statements' }`
   * to count the statements of a run.
   */
  settings?: Record<string, string>;
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding initdb and postgres. */
export function postgresBinDir(): string {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(PG_ROOT, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new Error(`no PostgreSQL server binaries under ${PG_ROOT}/*/bin: install Debian package postgresql`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs the "postgres" system user to start PostgreSQL: install Debian package postgresql');
  }
}

/**
 * A PostgreSQL server of its own, started on a temporary data directory and stopped (the
 * directory removed) by `stop()`, also when the process exits.
 *
 * @example
 * const server = await PostgresServer.start();
 * const url = await server.createDatabase('store_1');   // postgres://postgres@127.0.0.1:PORT/store_1
 * await server.stop();
 */
export class PostgresServer {
  readonly port: number;
  readonly #dir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #output: string[] = [];
  readonly #onExit: () => void;

  private constructor(port: number, dir: string, child: ChildProcess) {
    this.port = port;
    this.#dir = dir;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => this.#output.push(...chunk.toString().split('\n').filter(Boolean)));
    this.#onExit = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', this.#onExit);
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const bin = postgresBinDir();
    const user = runAs();
    const dir = mkdtempSync(join(tmpdir(), 'outpost-pg-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const data = join(dir, 'data');
    try {
      execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
        stdio: 'pipe', ...user, cwd: dir,
      });
    } catch (err: unknown) {
      rmSync(dir, { recursive: true, force: true });
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new Error(`initdb failed: ${stderr}`);
    }
    const port = await freePort();
    const settings = ['-c', 'listen_addresses=127.0.0.1', '-p', String(port), '-k', dir, '-c', 'max_connections=200'];
    if (!options.durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    for (const [name, value] of Object.entries(options.settings ?? {})) settings.push('-c', `${name}=${value}`);
    const child = spawn(join(bin, 'postgres'), ['-D', data, ...settings], { stdio: ['ignore', 'pipe', 'pipe'], ...user, cwd: dir });
    const server = new PostgresServer(port, dir, child);
    await server.#ready(options.startTimeoutMs ?? 30_000);
    return server;
  }

  /** A connection URL for database `db` (default: the `postgres` maintenance database). */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  /** Create an empty database and return its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Fast shutdown (clients are disconnected), then the data directory goes. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGINT');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exited.then(() => (exited = true));
    for (;;) {
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2_000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
      }
      if (exited || Date.now() > deadline) {
        await this.stop();
        throw new Error(`PostgreSQL did not start on 127.0.0.1:${this.port}:\n${this.#output.slice(-20).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
