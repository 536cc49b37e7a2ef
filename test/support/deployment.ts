import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { eventually, freePort, getJson, runCli, RunningProcess, tempDir } from './processes.js';

export interface AgentSetup {
  token?: boolean | string;
  checks?: Record<string, unknown>[];
  uplink?: Record<string, unknown>;
}

const FAST_UPLINK = { heartbeat_interval: '500ms', backoff_min: '50ms', backoff_max: '500ms' };

/**
 * A collector data directory and agents' config files in one temporary directory, with the
 * real CLIs doing the set-up (init, token, agent init) as an operator would.
 */
export class TestDeployment {
  readonly root: string;
  readonly collectorDir: string;
  port = 0;
  httpPort = 0;
  collectorKey = '';
  fingerprint = '';
  collector: RunningProcess | undefined;
  readonly agents = new Map<string, RunningProcess>();
  readonly #cleanup: () => void;

  private constructor() {
    const dir = tempDir('e2e');
    this.root = dir.path;
    this.#cleanup = dir.cleanup;
    this.collectorDir = join(this.root, 'collector');
  }

  static async create(): Promise<TestDeployment> {
    const d = new TestDeployment();
    const init = await runCli('collector', ['init', '--data-dir', d.collectorDir, '--json']);
    if (init.code !== 0) throw new Error(`collector init failed: ${init.stderr}`);
    const out = JSON.parse(init.stdout) as { collectorKey: string; tlsFingerprint: string };
    d.collectorKey = out.collectorKey;
    d.fingerprint = out.tlsFingerprint;
    d.port = await freePort();
    d.httpPort = await freePort();
    return d;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** `extraArgs` go after the listeners, e.g. ['--config', file]. */
  async startCollector(extraArgs: string[] = []): Promise<RunningProcess> {
    const proc = new RunningProcess('collector', [
      'run', '--data-dir', this.collectorDir, '--listen', `127.0.0.1:${this.port}`, '--http', `127.0.0.1:${this.httpPort}`, ...extraArgs,
    ]);
    this.collector = proc;
    await proc.waitForLine((line) => line.includes('collector listening'));
    return proc;
  }

  async stopCollector(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.collector?.stop(signal);
    this.collector = undefined;
  }

  async token(agent?: string): Promise<string> {
    const res = await runCli('collector', ['token', '--data-dir', this.collectorDir, ...(agent ? ['--agent', agent] : [])]);
    if (res.code !== 0) throw new Error(`token failed: ${res.stderr}`);
    return res.stdout.trim();
  }

  configPath(name: string): string {
    return join(this.root, name, 'agent.yaml');
  }

  async initAgent(name: string, setup: AgentSetup = {}): Promise<string> {
    const token = setup.token === true || setup.token === undefined ? await this.token() : setup.token || undefined;
    const res = await runCli('agent', [
      'init', '--config', this.configPath(name), '--name', name, '--collector', `wss://127.0.0.1:${this.port}`,
      '--collector-key', this.collectorKey, '--tls-fingerprint', this.fingerprint, ...(token ? ['--token', token] : []),
    ]);
    if (res.code !== 0) throw new Error(`agent init failed: ${res.stderr}`);
    const config = parse(readFileSync(this.configPath(name), 'utf8')) as Record<string, unknown>;
    config['checks'] = setup.checks ?? [];
    config['uplink'] = { ...FAST_UPLINK, ...setup.uplink };
    writeFileSync(this.configPath(name), stringify(config), { mode: 0o600 });
    return this.configPath(name);
  }

  /** `extraArgs` go after `run --config FILE`, e.g. ['--metrics', '127.0.0.1:9464']. */
  startAgent(name: string, extraArgs: string[] = []): RunningProcess {
    const proc = new RunningProcess('agent', ['run', '--config', this.configPath(name), ...extraArgs]);
    this.agents.set(name, proc);
    return proc;
  }

  api<T>(path: string): Promise<T> {
    return getJson<T>(`${this.apiUrl}${path}`);
  }

  /** Result ids stored at the collector for one agent, in order, read from its SQLite file. */
  collectorResultIds(agent: string): number[] {
    const db = new Database(join(this.collectorDir, 'collector.db'), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT r.result_id AS id FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = ? ORDER BY r.result_id')
        .all(agent) as { id: number }[];
      return rows.map((r) => r.id);
    } finally {
      db.close();
    }
  }

  collectorResults(agent: string): { id: number; startedAt: number; receivedAt: number }[] {
    const db = new Database(join(this.collectorDir, 'collector.db'), { readonly: true });
    try {
      return db
        .prepare(
          `SELECT r.result_id AS id, r.started_at AS startedAt, r.received_at AS receivedAt
             FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = ? ORDER BY r.result_id`,
        )
        .all(agent) as { id: number; startedAt: number; receivedAt: number }[];
    } finally {
      db.close();
    }
  }

  /** The highest result id the agent ever assigned, and what is still waiting in its outbox. */
  agentOutbox(name: string): { lastId: number; waiting: number } {
    const db = new Database(join(this.root, name, 'data', 'outbox.db'), { readonly: true });
    try {
      const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'results'").get() as { seq: number } | undefined;
      const { n } = db.prepare('SELECT count(*) AS n FROM results').get() as { n: number };
      return { lastId: seq?.seq ?? 0, waiting: n };
    } finally {
      db.close();
    }
  }

  /**
   * Stop the agent, restart it with no checks so it only uploads, and wait until its outbox
   * is empty and the collector holds as many results as the agent ever made. Returns that count.
   */
  async drain(name: string, timeoutMs = 60_000): Promise<number> {
    await this.agents.get(name)?.stop('SIGTERM');
    const config = parse(readFileSync(this.configPath(name), 'utf8')) as Record<string, unknown>;
    const checks = config['checks'];
    config['checks'] = [];
    writeFileSync(this.configPath(name), stringify(config), { mode: 0o600 });
    const proc = this.startAgent(name);
    const { lastId } = this.agentOutbox(name);
    await eventually(
      `${name} to drain ${lastId} results`,
      () => (this.agentOutbox(name).waiting === 0 && this.collectorResultIds(name).length >= lastId ? true : undefined),
      timeoutMs,
    );
    await proc.stop('SIGTERM');
    config['checks'] = checks;
    writeFileSync(this.configPath(name), stringify(config), { mode: 0o600 });
    return lastId;
  }

  async cleanup(): Promise<void> {
    for (const proc of this.agents.values()) await proc.stop('SIGKILL');
    await this.collector?.stop('SIGKILL');
    this.#cleanup();
  }
}

/** 1..n */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
