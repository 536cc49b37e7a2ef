import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import type { TestDeployment } from './deployment.js';
import { eventually } from './processes.js';

/** One stored result as the collector's SQLite file holds it. */
export interface StoredRow {
  id: number;
  checkId: string;
  status: number;
  startedAt: number;
  receivedAt: number;
  batchSeq: number;
}

/** One gap record as the collector stored it. */
export interface StoredGapRow {
  from: number;
  to: number;
  count: number;
  reason: string;
  firstMs: number;
  lastMs: number;
  perCheck: Record<string, number>;
}

/** The agent's row at the collector: its persistent counters. */
export interface AgentCounters {
  resultsStored: number;
  duplicates: number;
  maxResultId: number;
}

function readOnly<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * Read-only views of a collector database file (any data directory, so a standby or a
 * second collector process is read the same way as TestDeployment's own).
 *
 * @example
 * const view = new StoreView(join(dataDir, 'collector.db'));
 * expect(view.results('lab-1').map((r) => r.id)).toEqual(range(n));
 */
export class StoreView {
  constructor(readonly file: string) {}

  static of(dataDir: string): StoreView {
    return new StoreView(join(dataDir, 'collector.db'));
  }

  results(agent: string): StoredRow[] {
    return readOnly(this.file, (db) =>
      db
        .prepare(
          `SELECT r.result_id AS id, c.check_id AS checkId, r.status, r.started_at AS startedAt, r.received_at AS receivedAt, r.batch_seq AS batchSeq
             FROM results r JOIN agents a ON a.id = r.agent_id JOIN checks c ON c.id = r.check_key WHERE a.name = ? ORDER BY r.result_id`,
        )
        .all(agent) as StoredRow[],
    );
  }

  count(agent: string): number {
    return readOnly(this.file, (db) => {
      const row = db.prepare('SELECT count(*) AS n FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = ?').get(agent) as { n: number };
      return row.n;
    });
  }

  gaps(agent: string): StoredGapRow[] {
    return readOnly(this.file, (db) =>
      (
        db
          .prepare(
            `SELECT g.from_result_id AS "from", g.to_result_id AS "to", g.count, g.reason, g.first_ms AS firstMs, g.last_ms AS lastMs, g.per_check AS perCheck
               FROM gaps g JOIN agents a ON a.id = g.agent_id WHERE a.name = ? ORDER BY g.from_result_id`,
          )
          .all(agent) as (Omit<StoredGapRow, 'perCheck'> & { perCheck: string })[]
      ).map((g) => ({ ...g, perCheck: JSON.parse(g.perCheck) as Record<string, number> })),
    );
  }

  agent(agent: string): AgentCounters | undefined {
    return readOnly(this.file, (db) =>
      db.prepare('SELECT results_stored AS resultsStored, duplicates, max_result_id AS maxResultId FROM agents WHERE name = ?').get(agent) as
        | AgentCounters
        | undefined,
    );
  }

  checkStates(agent: string): Map<string, { resultId: number; status: number; startedAt: number }> {
    return readOnly(this.file, (db) => {
      const rows = db
        .prepare('SELECT s.check_id AS checkId, s.result_id AS resultId, s.status, s.started_at AS startedAt FROM check_state s JOIN agents a ON a.id = s.agent_id WHERE a.name = ?')
        .all(agent) as { checkId: string; resultId: number; status: number; startedAt: number }[];
      return new Map(rows.map((r) => [r.checkId, { resultId: r.resultId, status: r.status, startedAt: r.startedAt }]));
    });
  }
}

/** What an agent's outbox holds right now (read-only, while the agent may be running). */
export interface OutboxView {
  lastId: number;
  waiting: number;
  bytes: number;
  pendingGaps: number;
  /** Newest waiting result id and its status, per check. */
  newestPerCheck: Map<string, { resultId: number; status: number }>;
}

export function outboxView(file: string): OutboxView {
  return readOnly(file, (db) => {
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'results'").get() as { seq: number } | undefined;
    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { n: number; bytes: number };
    const gaps = db.prepare('SELECT count(*) AS n FROM gaps').get() as { n: number };
    const newest = db
      .prepare('SELECT check_id AS checkId, result_id AS resultId, status FROM results WHERE result_id IN (SELECT max(result_id) FROM results GROUP BY check_id)')
      .all() as { checkId: string; resultId: number; status: number }[];
    return {
      lastId: seq?.seq ?? 0,
      waiting: totals.n,
      bytes: totals.bytes,
      pendingGaps: gaps.n,
      newestPerCheck: new Map(newest.map((r) => [r.checkId, { resultId: r.resultId, status: r.status }])),
    };
  });
}

/** The result ids waiting in an agent's outbox, ascending. */
export function outboxIds(file: string): number[] {
  return readOnly(file, (db) => (db.prepare('SELECT result_id AS id FROM results ORDER BY result_id').all() as { id: number }[]).map((r) => r.id));
}

/** The outbox file of an agent set up by `TestDeployment.initAgent`. */
export function outboxFile(d: TestDeployment, name: string): string {
  return join(d.root, name, 'data', 'outbox.db');
}

/** Rewrite parts of an agent's YAML config (top-level keys replaced as given). */
export function editAgentConfig(d: TestDeployment, name: string, edit: (config: Record<string, unknown>) => void): void {
  const file = d.configPath(name);
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

/**
 * Like `TestDeployment.drain`, but for agents whose outbox dropped results (gap records) and
 * whose collectors may be elsewhere: restart the agent without checks and wait until its
 * outbox holds no result and no gap record, and `delivered()` (ids stored plus ids covered
 * by gaps, wherever the caller counts them) reaches the agent's high mark. Returns that mark.
 */
export async function drainAll(d: TestDeployment, name: string, delivered: () => number, timeoutMs = 90_000): Promise<number> {
  await d.agents.get(name)?.stop('SIGTERM');
  let checks: unknown;
  editAgentConfig(d, name, (config) => {
    checks = config['checks'];
    config['checks'] = [];
  });
  const proc = d.startAgent(name);
  const file = outboxFile(d, name);
  const { lastId } = outboxView(file);
  await eventually(
    `${name} to drain up to result ${lastId}`,
    () => {
      const view = outboxView(file);
      return view.waiting === 0 && view.pendingGaps === 0 && delivered() >= lastId ? true : undefined;
    },
    timeoutMs,
    200,
  );
  await proc.stop('SIGTERM');
  editAgentConfig(d, name, (config) => {
    config['checks'] = checks;
  });
  return lastId;
}

/** Ids in 1..n that are not in `ids`. */
export function missingIds(ids: Iterable<number>, n: number): number[] {
  const have = new Set(ids);
  const out: number[] = [];
  for (let id = 1; id <= n; id++) if (!have.has(id)) out.push(id);
  return out;
}

/** Ids that occur more than once, or fall outside 1..n. */
export function strayIds(ids: readonly number[], n: number): number[] {
  const seen = new Set<number>();
  return ids.filter((id) => {
    const stray = id < 1 || id > n || seen.has(id);
    seen.add(id);
    return stray;
  });
}

/** Collapse a status sequence into its runs: [2,2,0,0,2] → [2,0,2]. */
export function runsOf<T>(values: readonly T[]): T[] {
  return values.filter((value, i) => i === 0 || values[i - 1] !== value);
}
