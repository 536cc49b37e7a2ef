import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateKeyPair, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { Retention } from './retention.js';
import { SqliteStore } from './sqlite-store.js';

const DAY = 86_400_000;
const NOW = 1_900_000_000_000;
const POLICY = { resultsMs: 90 * DAY, eventsMs: 365 * DAY };
const silent = pino({ level: 'silent' });

let dir: string;
let file: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-retention-'));
  file = join(dir, 'collector.db');
  store = SqliteStore.open(file);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function result(resultId: number, startedAtMs: number, status: Status): Result {
  return {
    resultId, checkId: 'c1', startedAtMs, durationUs: 5, status, observation: 'x', message: `result ${resultId} ${'.'.repeat(200)}`,
    metrics: {}, transcript: new Uint8Array(0), checkConfigHash: 'h',
  } as unknown as Result;
}

function batch(batchSeq: number, results: Result[]): OpenedBatch {
  return { agentKey: new Uint8Array(32), batchSeq, results, gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
}

/** `count` results from `fromId`, one a minute from `startMs`, status flipping every 10 (so events too). */
async function ingest(agentId: number, seq: number, fromId: number, count: number, startMs: number): Promise<void> {
  const results = Array.from({ length: count }, (_, i) => result(fromId + i, startMs + i * 60_000, Math.floor(i / 10) % 2 ? Status.CRITICAL : Status.OK));
  await store.ingestBatch(agentId, batch(seq, results), startMs);
}

async function enrolled(): Promise<number> {
  const token = await issueToken(store, 60_000, null, 1_000);
  expect(await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000)).toBe('enrolled');
  return (await store.findAgentByName('lab-1'))!.id;
}

function count(sql: string, ...args: number[]): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(sql).get(...args) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('Retention', () => {
  it('deletes results and events past their own retention in chunks, keeps the rest, and shrinks the file', async () => {
    const agent = await enrolled();
    await ingest(agent, 1, 1, 3_000, NOW - 400 * DAY); // results and events older than both limits
    await ingest(agent, 2, 3_001, 500, NOW - 100 * DAY); // results too old, events still kept
    await ingest(agent, 3, 3_501, 200, NOW - DAY); // all kept
    const eventsBefore = count('SELECT count(*) AS n FROM events');
    const oldEvents = count('SELECT count(*) AS n FROM events WHERE at < ?', NOW - 365 * DAY);
    expect(oldEvents).toBeGreaterThan(0);

    const retention = new Retention({ store, policy: POLICY, logger: silent, now: () => NOW, chunkRows: 700 });
    retention.start();
    expect(store.vacuumMode()).toBe('incremental'); // a small database is converted at start
    const pagesBefore = store.databasePages().pages;
    const report = await retention.prune();
    await retention.stop();

    expect(report).toMatchObject({ resultsDeleted: 3_500, eventsDeleted: oldEvents, complete: true });
    expect(count('SELECT count(*) AS n FROM results')).toBe(200);
    expect(count('SELECT min(result_id) AS n FROM results')).toBe(3_501);
    expect(count('SELECT count(*) AS n FROM events')).toBe(eventsBefore - oldEvents);
    expect(report.pagesFreed).toBeGreaterThan(0);
    expect(store.databasePages().pages).toBeLessThan(pagesBefore);
    expect(store.databasePages().freePages).toBe(0);
  });

  it('yields between chunks: a batch stored meanwhile lands between two chunks', async () => {
    const agent = await enrolled();
    await ingest(agent, 1, 1, 2_000, NOW - 200 * DAY);
    const retention = new Retention({ store, policy: POLICY, logger: silent, now: () => NOW, chunkRows: 100 });
    const pruning = retention.prune();
    let oldRowsWhenIngested = -1;
    // Queued behind the first chunk: runs before the prune has finished.
    setImmediate(() => {
      oldRowsWhenIngested = count('SELECT count(*) AS n FROM results WHERE started_at < ?', NOW - 90 * DAY);
      void ingest(agent, 2, 5_000, 10, NOW - 1_000);
    });
    const report = await pruning;
    expect(oldRowsWhenIngested).toBeGreaterThan(0);
    expect(oldRowsWhenIngested).toBeLessThan(2_000);
    expect(report.resultsDeleted).toBe(2_000);
    expect(count('SELECT count(*) AS n FROM results')).toBe(10);
  });

  it('stop() lets the chunk in progress finish and starts no other', async () => {
    const agent = await enrolled();
    await ingest(agent, 1, 1, 1_000, NOW - 200 * DAY);
    const retention = new Retention({ store, policy: POLICY, logger: silent, now: () => NOW, chunkRows: 100 });
    const pruning = retention.prune();
    await retention.stop();
    const report = await pruning;
    expect(report.complete).toBe(false);
    expect(report.resultsDeleted).toBe(100);
    expect(count('SELECT count(*) AS n FROM results')).toBe(900);
    await nextTurn();
    expect(count('SELECT count(*) AS n FROM results')).toBe(900);
  });

  it('leaves a big database that is not incremental alone and says how to convert it', async () => {
    const agent = await enrolled();
    await ingest(agent, 1, 1, 500, NOW - 200 * DAY);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const retention = new Retention({ store, policy: POLICY, logger, now: () => NOW, maxAutoConvertBytes: 1_024 });
    retention.start();
    const report = await retention.prune();
    await retention.stop();
    expect(store.vacuumMode()).toBe('none');
    expect(report).toMatchObject({ resultsDeleted: 500, pagesFreed: 0, complete: true });
    expect(lines.some((line) => line.includes('outpost-collector vacuum'))).toBe(true);
    // The one-time conversion, as the vacuum command runs it.
    store.enableIncrementalVacuum();
    expect(store.vacuumMode()).toBe('incremental');
  });
});
