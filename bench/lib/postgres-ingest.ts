// Ingest into PostgreSQL through real `outpost-collector run --store postgres://…`
// processes: one collector, or two on one database with one agent each (the scale-out
// layout). Used by bench/ingest.ts beside the SQLite figure of the same run.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPair } from '@outpost/protocol';
import pg from 'pg';
import type { TestDeployment } from '../../test/support/deployment.js';
import { freePort, runCli, RunningProcess } from '../../test/support/processes.js';
import { IngestAgent } from './ingest-agent.js';
import type { PostgresServer } from './postgres-server.js';

export interface PostgresIngestRun {
  collectors: number;
  /** First send to the last Ack over all agents, in seconds. */
  seconds: number;
  stored: number;
  duplicates: number;
  /** Rows in the results table afterwards. */
  rows: number;
  /** Acks that arrived together, averaged over the agents: about the batches per commit. */
  batchesPerCommit: number;
}

/** One agent's signed batches and its key (frames are signed by it). */
export interface AgentLoad {
  keyPair: KeyPair;
  frames: Uint8Array[];
}

/**
 * Start `loads.length` collector processes (1 or 2) on a fresh database `dbName`, enrol
 * one agent per collector, pump every agent's batches at once and count what is stored.
 *
 * @example
 * const run = await ingestIntoPostgres(d, server, 'bench_two', [{ keyPair, frames: half1 }, { keyPair: k2, frames: half2 }], 8);
 */
export async function ingestIntoPostgres(d: TestDeployment, server: PostgresServer, dbName: string, loads: AgentLoad[], window: number): Promise<PostgresIngestRun> {
  const url = await server.createDatabase(dbName);
  const scratch = mkdtempSync(join(d.root, 'pg-'));
  const collectors: RunningProcess[] = [];
  const agents: IngestAgent[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < loads.length; i++) {
      // Every collector of a cluster has the same identity: a copy of one data directory.
      const dir = join(scratch, `collector-${i}`);
      cpSync(d.collectorDir, dir, { recursive: true });
      const port = await freePort();
      const proc = new RunningProcess('collector', ['run', '--data-dir', dir, '--listen', `127.0.0.1:${port}`, '--http', `127.0.0.1:${await freePort()}`, '--store', url]);
      collectors.push(proc);
      await proc.waitForLine((line) => line.includes('collector listening'), 30_000);
      ports.push(port);
    }
    for (const [i, load] of loads.entries()) {
      const token = await runCli('collector', ['token', '--data-dir', d.collectorDir, '--store', url]);
      if (token.code !== 0) throw new Error(`token for PostgreSQL failed: ${token.stderr}`);
      agents.push(await IngestAgent.enrol(`wss://127.0.0.1:${ports[i]}/outpost/v1`, { name: `pg-bench-${i}`, collectorKey: d.collectorKey, token: token.stdout.trim(), keyPair: load.keyPair }));
    }
    const start = performance.now();
    const outcomes = await Promise.all(agents.map((agent, i) => agent.pump(loads[i]!.frames, window)));
    const seconds = (performance.now() - start) / 1000;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM results');
    await client.end();
    return {
      collectors: loads.length,
      seconds,
      stored: outcomes.reduce((n, o) => n + o.stored, 0),
      duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
      rows: Number(rows[0]?.n ?? 0),
      batchesPerCommit: outcomes.reduce((n, o, i) => n + loads[i]!.frames.length / o.ackGroups, 0) / outcomes.length,
    };
  } finally {
    for (const agent of agents) agent.close();
    for (const proc of collectors) await proc.stop('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  }
}
