import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { FUTURE_ALLOWANCE_MS } from './state-timeline-plan.js';
import { describeStoreContract, testBatch, testResult } from './store-contract-test-suite.js';

// Every store opens its own file in one temporary directory.
const root = mkdtempSync(join(tmpdir(), 'outpost-store-'));
let opened = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract('SqliteStore', async (settings) => SqliteStore.open(join(root, `collector-${++opened}.db`), settings));

describe('SqliteStore file', () => {
  it('creates its file readable by the owner only', async () => {
    const path = join(root, 'mode.db');
    const store = SqliteStore.open(path);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteStore and clocks', () => {
  it('stores a result stamped far in the future but keeps it out of the state, so later results still count', async () => {
    const store = SqliteStore.open(join(root, 'future.db'));
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
      const { id } = (await store.findAgentByName('lab-1'))!;
      const now = 1_800_000_000_000;
      await store.ingestBatches(id, [testBatch(1, [testResult(1, now - 2_000, Status.OK)])], now);
      // A clock fault stamps one result years ahead: stored, counted, but not the state.
      const [future] = await store.ingestBatches(id, [testBatch(2, [testResult(2, now + FUTURE_ALLOWANCE_MS + 86_400_000 * 365, Status.CRITICAL)])], now);
      expect(future).toMatchObject({ stored: 1, future: 1, events: [] });
      // The next truly timed failure is a live change, not late history.
      const [live] = await store.ingestBatches(id, [testBatch(3, [testResult(3, now + 1_000, Status.CRITICAL)])], now + 1_000);
      expect(live!.events).toMatchObject([{ kind: 'check', from: Status.OK, to: Status.CRITICAL, backfilled: false }]);
      expect((await store.listCheckStates('lab-1'))[0]).toMatchObject({ status: Status.CRITICAL, resultId: 3 });
      expect((await store.queryResults({ agent: 'lab-1', limit: 10 })).map((r) => r.resultId)).toEqual([1, 3, 2]);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteStore and retention', () => {
  it('keeps the recorded changes when late history arrives for a stretch whose results were pruned', async () => {
    const store = SqliteStore.open(join(root, 'pruned.db'));
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
      const { id } = (await store.findAgentByName('lab-1'))!;
      const timeline = async () => (await store.queryEvents({ agent: 'lab-1', kind: 'check', limit: 100 })).reverse().map((e) => `${e.at}:${e.to}`);
      await store.ingestBatches(id, [testBatch(1, [testResult(1, 1_000, Status.OK), testResult(2, 2_000, Status.CRITICAL), testResult(3, 3_000, Status.OK)])], 10_000);
      const before = await timeline();
      expect(before).toEqual([`1000:${Status.OK}`, `2000:${Status.CRITICAL}`, `3000:${Status.OK}`]);
      // Retention prunes the results before 2.5 s; their events stay (kept longer).
      expect(store.deleteResultsBefore(2_500, 100)).toBe(2);
      // A late result from the pruned stretch (an import, a backward clock) changes nothing it cannot see.
      await store.ingestBatches(id, [testBatch(2, [testResult(4, 1_500, Status.OK)])], 10_000);
      expect(await timeline()).toEqual(before);
      // And a late change inside that stretch is still woven in.
      await store.ingestBatches(id, [testBatch(3, [testResult(5, 1_700, Status.WARNING)])], 10_000);
      expect(await timeline()).toEqual([`1000:${Status.OK}`, `1700:${Status.WARNING}`, `2000:${Status.CRITICAL}`, `3000:${Status.OK}`]);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteStore shared with another process', () => {
  it('a read-then-write transaction holds the write lock from its start, so a write between its read and its write cannot fail it', async () => {
    const path = join(root, 'shared.db');
    const store = SqliteStore.open(path);
    const other = new Database(path);
    other.pragma('busy_timeout = 0');
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
      const { id } = (await store.findAgentByName('lab-1'))!;
      let otherWrote: string | undefined;
      // The signer runs between the version read and the insert: the collector writes there.
      const version = await store.putAgentConfig(id, Buffer.from('checks: []\n'), () => {
        try {
          other.prepare('UPDATE agents SET backlog = 1 WHERE id = ?').run(id);
          otherWrote = 'yes';
        } catch (err: unknown) {
          otherWrote = (err as { code?: string }).code;
        }
        return new Uint8Array(64);
      }, 3_000);
      expect(version).toBe(1);
      expect(otherWrote).toBe('SQLITE_BUSY');
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe('migration 10 (returns waiting for their summary)', () => {
  it('adds the table to a version 9 file with a silent agent, which then comes back with its counters', async () => {
    const path = join(root, 'v9.db');
    const old = new Database(path);
    for (let v = 0; v < 9; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 9');
    old.prepare("INSERT INTO agents (id, name, public_key, status, created_at, last_seen_at, silent_since, results_stored) VALUES (1, 'a', x'01', 'active', 0, 500, 900, 41)").run();
    old.close();
    // Commands leave it to `run`: the table is new.
    expect(() => SqliteStore.open(path, undefined, { migrate: false })).toThrow(`schema version 9, this outpost-collector needs ${MIGRATIONS.length}`);
    const store = SqliteStore.open(path);
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(await store.listAgentReturns()).toEqual([]);
      expect(await store.beginAgentReturn(1, 500, 2_000)).toEqual({ agentId: 1, agent: 'a', silentSince: 900, lastHeardAt: 500, backAt: 2_000, resultsAtBack: 41 });
    } finally {
      await store.close();
    }
  });
});
