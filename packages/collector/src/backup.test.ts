import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, isOutpostError, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase } from './backup.js';
import { hashToken, issueToken } from './enrollment.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
let source: string;
let store: SqliteStore;
let agentId: number;
let nextId = 1;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-backup-'));
  source = join(dir, 'collector.db');
  store = SqliteStore.open(source);
  const token = await issueToken(store, 60_000, null, 1_000);
  expect(await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000)).toBe('enrolled');
  agentId = (await store.findAgentByName('lab-1'))!.id;
  nextId = 1;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One batch of `count` results, as ingest stores them. */
async function ingest(count: number): Promise<void> {
  const results = Array.from({ length: count }, () => {
    const id = nextId++;
    return { resultId: id, checkId: `c${id % 7}`, startedAtMs: id, durationUs: 5, status: Status.OK, observation: 'open', message: 'x'.repeat(300),
      metrics: {}, transcript: new Uint8Array(0), checkConfigHash: 'h' } as unknown as Result;
  });
  const batch = { agentKey: new Uint8Array(32), batchSeq: nextId, results, gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
  await store.ingestBatch(agentId, batch, Date.now());
}

function resultsIn(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('backupDatabase', () => {
  it('copies a database that is being written to, completes despite restarts, and the copy opens with the rows', async () => {
    for (let i = 0; i < 20; i++) await ingest(500);
    const before = nextId - 1;
    // The collector keeps storing batches while the backup runs, from its own connection.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await ingest(50);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const progress: number[] = [];
    const out = join(dir, 'copy.db');
    const report = await backupDatabase(source, out, { pagesPerStep: 8, onProgress: (p) => progress.push(p.remainingPages) });
    writing = false;
    await writer;
    const after = nextId - 1;

    expect(report.restarts).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeGreaterThan(2);
    expect(report.results).toBeGreaterThanOrEqual(before);
    expect(report.results).toBeLessThanOrEqual(after);
    expect(report.agents).toBe(1);
    expect(resultsIn(out)).toBe(report.results);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // A standalone file: rollback journal, no -wal beside it, no temporary file left.
    expect(readdirSync(dir).sort()).toEqual(['collector.db', 'collector.db-shm', 'collector.db-wal', 'copy.db']);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    copy.close();
  });

  it('never overwrites an existing file, and names a missing source', async () => {
    const out = join(dir, 'taken.db');
    writeFileSync(out, 'keep me');
    await expect(backupDatabase(source, out)).rejects.toSatisfy((err: unknown) => isOutpostError(err) && err.message.includes('already exists'));
    await expect(backupDatabase(join(dir, 'nope.db'), join(dir, 'x.db'))).rejects.toThrow(/nope\.db: no collector database/);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });
});
