import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { expectGroupedLikeApart } from './grouped-ingest-test-cases.js';
import { SqliteCheckKeys } from './sqlite-check-keys.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { testBatch, testResult } from './store-contract-test-suite.js';

const root = mkdtempSync(join(tmpdir(), 'outpost-ingest-'));
let opened = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = 1_800_000_000_000;

async function storeWithAgent(): Promise<{ store: SqliteStore; agentId: number; path: string }> {
  const path = join(root, `collector-${++opened}.db`);
  const store = SqliteStore.open(path);
  const token = await issueToken(store, 60_000, null, 1_000);
  await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
  return { store, agentId: (await store.findAgentByName('lab-1'))!.id, path };
}

/** Results with these ids, one per check c1..c3 in turn, a second apart. */
function results(ids: number[]) {
  return ids.map((id) => testResult(id, T0 + id * 1_000, Status.OK, `c${(id % 3) + 1}`));
}

describe('SqliteIngest', () => {
  it('stores many rising results in multi-row inserts and counts resent, reordered and repeated ones exactly once', async () => {
    const { store, agentId } = await storeWithAgent();
    try {
      // 1..100 rising: the multi-row path (more than one statement's worth of rows).
      const [first] = await store.ingestBatches(agentId, [testBatch(1, results(Array.from({ length: 100 }, (_, i) => i + 1)))], T0);
      expect(first).toMatchObject({ stored: 100, duplicates: 0 });
      // A resent stretch mixed with new ids, out of order, one id twice in the batch:
      // 50 and 99 are stored already, 150 twice, 120 and 101 new.
      const [mixed] = await store.ingestBatches(agentId, [testBatch(2, results([50, 150, 120, 150, 99, 101]))], T0);
      expect(mixed).toMatchObject({ stored: 3, duplicates: 3 });
      // Two batches in one commit whose ids overlap: the second's repeats are duplicates.
      const both = await store.ingestBatches(agentId, [testBatch(3, results([200, 201, 202])), testBatch(4, results([201, 202, 203]))], T0);
      expect(both.map((o) => [o.stored, o.duplicates])).toEqual([[3, 0], [1, 2]]);
      const stored = await store.queryResults({ agent: 'lab-1', limit: 1_000 });
      const ids = stored.map((r) => r.resultId).sort((a, b) => a - b);
      expect(ids).toEqual([...Array.from({ length: 100 }, (_, i) => i + 1), 101, 120, 150, 200, 201, 202, 203]);
      // Each row keeps its own check id through the interned key.
      for (const r of stored) expect(r.checkId).toBe(`c${(r.resultId % 3) + 1}`);
      expect((await store.queryResults({ agent: 'lab-1', checkId: 'c2', limit: 1_000 })).every((r) => r.checkId === 'c2')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('moves each check timeline from the interned key: late history finds its stored neighbours', async () => {
    const { store, agentId } = await storeWithAgent();
    try {
      const ok = (id: number) => testResult(id, T0 + id * 1_000, Status.OK, 'web');
      await store.ingestBatches(agentId, [testBatch(1, [ok(10), ok(20), ok(30)]), testBatch(2, [testResult(31, T0 + 31_000, Status.OK, 'dns')])], T0 + 31_000);
      // A failure between two stored OK results (no recorded change near it): found only
      // through the per-check index, it is an incident that began at 25 and ended at 30.
      const [late] = await store.ingestBatches(agentId, [testBatch(3, [testResult(25, T0 + 25_000, Status.CRITICAL, 'web')])], T0 + 32_000);
      expect(late!.events.map((e) => [e.checkId, e.at - T0, e.from, e.to, e.backfilled])).toEqual([
        ['web', 25_000, Status.OK, Status.CRITICAL, true],
        ['web', 30_000, Status.CRITICAL, Status.OK, true],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('grouped commits', () => {
  it('gives, for 300 random reorderings, calls of several batches the timelines, states, results and pages of one call per batch', async () => {
    const apart = await storeWithAgent();
    const together = await storeWithAgent();
    try {
      const cases = await expectGroupedLikeApart(apart.store, together.store, 300);
      // The cases are what the property is about: commits of several batches with late history in them.
      expect(cases.grouped).toBeGreaterThan(250);
      expect(cases.backfilled).toBeGreaterThan(500);
    } finally {
      await Promise.all([apart.store.close(), together.store.close()]);
    }
  }, 60_000);
});

describe('SqliteCheckKeys', () => {
  it('forgets a key made in a transaction that rolled back, and finds the committed ones again', async () => {
    const store = SqliteStore.open(join(root, `keys-${++opened}.db`));
    const db = store.database;
    try {
      const keys = new SqliteCheckKeys(db);
      const kept = db.transaction(() => keys.keyFor(1, 'kept'))();
      keys.committed();
      expect(() =>
        db.transaction(() => {
          keys.keyFor(1, 'lost');
          throw new Error('rolled back');
        })(),
      ).toThrow('rolled back');
      keys.rolledBack();
      // A cache that kept the lost key would hand out an id no row in checks has.
      const again = db.transaction(() => keys.keyFor(1, 'lost'))();
      keys.committed();
      expect(db.prepare('SELECT check_id FROM checks WHERE id = ?').get(again)).toEqual({ check_id: 'lost' });
      expect(keys.keyFor(1, 'kept')).toBe(kept);
      // Another connection's keys (an import, a second collector) are found, not duplicated.
      db.prepare("INSERT INTO checks (agent_id, check_id) VALUES (2, 'other')").run();
      const other = db.transaction(() => keys.keyFor(2, 'other'))();
      expect(db.prepare("SELECT count(*) AS n FROM checks WHERE check_id = 'other'").get()).toEqual({ n: 1 });
      expect(other).toBe((db.prepare("SELECT id FROM checks WHERE check_id = 'other'").get() as { id: number }).id);
    } finally {
      await store.close();
    }
  });
});

describe('migration 9 (interned check ids)', () => {
  it('keeps every stored result, its check and its place in the per-check index', async () => {
    const path = join(root, `migrate-${++opened}.db`);
    // A collector file as version 8 left it, with results of two agents sharing a check id.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    for (let v = 0; v < 8; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 8');
    old.prepare("INSERT INTO agents (id, name, public_key, status, created_at, max_result_id) VALUES (1, 'a', x'01', 'active', 0, 3), (2, 'b', x'02', 'active', 0, 1)").run();
    const insert = old.prepare(
      `INSERT INTO results (agent_id, result_id, check_id, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
       VALUES (?, ?, ?, ?, 7, ?, 'open', ?, NULL, NULL, 'h', 1, 0)`,
    );
    insert.run(1, 1, 'web', T0, Status.OK, 'a1');
    insert.run(1, 2, 'dns', T0 + 1, Status.CRITICAL, 'a2');
    insert.run(1, 3, 'web', T0 + 2, Status.OK, 'a3');
    insert.run(2, 1, 'web', T0 + 3, Status.WARNING, 'b1');
    old.close();

    const store = SqliteStore.open(path);
    try {
      const rows = await store.queryResults({ limit: 10 });
      expect(rows.map((r) => [r.agent, r.resultId, r.checkId, r.status, r.message])).toEqual([
        ['a', 1, 'web', Status.OK, 'a1'],
        ['a', 2, 'dns', Status.CRITICAL, 'a2'],
        ['a', 3, 'web', Status.OK, 'a3'],
        ['b', 1, 'web', Status.WARNING, 'b1'],
      ]);
      expect((await store.queryResults({ agent: 'a', checkId: 'web', limit: 10 })).map((r) => r.resultId)).toEqual([1, 3]);
      // New results of a migrated check reuse its key, and a resent old one is a duplicate.
      const [outcome] = await store.ingestBatches(1, [testBatch(2, [testResult(3, T0 + 2, Status.OK, 'web'), testResult(4, T0 + 4, Status.OK, 'web')])], T0 + 5);
      expect(outcome).toMatchObject({ stored: 1, duplicates: 1 });
      expect((await store.queryResults({ agent: 'a', checkId: 'web', limit: 10 })).map((r) => r.resultId)).toEqual([1, 3, 4]);
      const db = store.database;
      expect(db.prepare("SELECT count(*) AS n FROM checks WHERE check_id = 'web'").get()).toEqual({ n: 2 });
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      await store.close();
    }
  });
});

describe('schema versions between processes', () => {
  /** A collector file as version 8 left it. */
  function versionEight(): string {
    const path = join(root, `v8-${++opened}.db`);
    const old = new Database(path);
    for (let v = 0; v < 8; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 8');
    old.close();
    return path;
  }

  it('leaves an older file alone when a command opens it (a running old collector keeps working), and run migrates it', async () => {
    const path = versionEight();
    expect(() => SqliteStore.open(path, undefined, { migrate: false })).toThrow(
      `${path}: schema version 8, this outpost-collector needs ${MIGRATIONS.length}: stop the old collector, start this version's \`outpost-collector run\` once`,
    );
    const peek = new Database(path, { readonly: true });
    expect(peek.pragma('user_version', { simple: true })).toBe(8);
    expect(peek.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'checks'").get()).toEqual({ n: 0 });
    peek.close();
    const store = SqliteStore.open(path);
    expect(store.database.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    await store.close();
    // Now current: commands open it.
    await SqliteStore.open(path, undefined, { migrate: false }).close();
  });

  it('refuses a file written by a newer collector, whatever the command', () => {
    const path = join(root, `newer-${++opened}.db`);
    void SqliteStore.open(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => SqliteStore.open(path)).toThrow(`schema version ${MIGRATIONS.length + 1} was written by a newer outpost-collector`);
  });

  it('creates a new file even for a command (nothing to migrate under anyone)', async () => {
    const path = join(root, `fresh-${++opened}.db`);
    const store = SqliteStore.open(path, undefined, { migrate: false });
    expect(store.database.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    await store.close();
  });
});

