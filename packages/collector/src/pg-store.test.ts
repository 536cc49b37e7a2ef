import { Status } from '@outpost/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../../../bench/lib/postgres-server.js';
import { hashToken, issueToken } from './enrollment.js';
import { migrate, PG_MIGRATIONS } from './pg-migrations.js';
import { PgStore } from './pg-store.js';
import { expectGroupedLikeApart } from './grouped-ingest-test-cases.js';
import { describeStoreContract, testBatch, testResult } from './store-contract-test-suite.js';
import { transitionsAlong } from './state-transitions.js';

// A real PostgreSQL server of the test's own (Debian's binaries, a temporary data directory,
// 127.0.0.1); every store gets a fresh database on it. Without the binaries this fails and
// says which package to install.

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await PostgresServer.start();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function freshStore(settings?: Parameters<typeof PgStore.open>[1]): Promise<PgStore> {
  return PgStore.open(await server.createDatabase(`store_${++databases}`), settings);
}

describeStoreContract('PgStore', (settings) => freshStore(settings));

describe('PgStore on PostgreSQL', () => {
  it('migrates once when several collectors start at the same moment', async () => {
    const url = await server.createDatabase(`store_${++databases}`);
    const clients = Array.from({ length: 4 }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const ran = await Promise.all(clients.map((c) => migrate(c)));
      // Each version ran exactly once, on one of the four.
      const versions = PG_MIGRATIONS.map((_, i) => i + 1);
      expect(ran.flat().sort((a, b) => a - b)).toEqual(versions);
      const { rows } = await clients[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows).toEqual(versions.map((version) => ({ version })));
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('keeps results in daily partitions made on demand and drops whole old ones for retention', async () => {
    const store = await freshStore();
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(7), 2_000);
      const agent = (await store.findAgentByName('lab-1'))!;
      const day = 86_400_000;
      const base = Date.UTC(2026, 10, 1);
      // Five days of results, newest first (a backlog), plus one far in the past.
      const results = [4, 3, 2, 1, 0].map((d, i) => testResult(i + 1, base + d * day + 1_000, Status.OK));
      results.push(testResult(6, Date.UTC(1999, 0, 1), Status.OK));
      expect(await store.ingestBatch(agent.id, testBatch(1, results), base)).toMatchObject({ stored: 6, duplicates: 0 });
      expect((await store.partitions.list()).map((p) => p.name)).toEqual([
        'results_19990101', 'results_20261101', 'results_20261102', 'results_20261103', 'results_20261104', 'results_20261105',
      ]);
      // Keep two days as of Nov 5 noon: everything before Nov 3 goes, whole partitions at a time.
      const dropped = await store.dropResultsOlderThan(2, base + 4 * day + day / 2);
      expect(dropped).toEqual(['results_19990101', 'results_20261101', 'results_20261102']);
      expect((await store.queryResults({ agent: 'lab-1', limit: 100 })).map((r) => r.resultId)).toEqual([3, 2, 1]);
      // A late result for a dropped day is still stored (its partition comes back).
      expect(await store.ingestBatch(agent.id, testBatch(2, [testResult(7, base + 1_000, Status.OK)]), base)).toMatchObject({ stored: 1 });
      expect((await store.queryResults({ agent: 'lab-1', limit: 100 })).map((r) => r.resultId)).toEqual([7, 3, 2, 1]);
    } finally {
      await store.close();
    }
  });

  it('stores every result once when two stores ingest the same agent at the same time', async () => {
    const url = await server.createDatabase(`store_${++databases}`);
    const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      const token = await issueToken(a, 60_000, null, 1_000);
      await a.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(9), 2_000);
      const agent = (await a.findAgentByName('lab-1'))!;
      // Both collectors receive the same 20 batches (an agent re-sending after a failover), interleaved.
      const batches = Array.from({ length: 20 }, (_, i) =>
        testBatch(i + 1, Array.from({ length: 50 }, (_, j) => testResult(i * 50 + j + 1, 1_000 + i * 50 + j, (i * 50 + j) % 7 === 0 ? Status.CRITICAL : Status.OK, `c${j % 5}`))),
      );
      const outcomes = (await Promise.all(batches.flatMap((batch) => [a.ingestBatch(agent.id, batch, 3_000), b.ingestBatch(agent.id, batch, 3_000)]))).flat();
      expect(outcomes.reduce((n, o) => n + o.stored, 0)).toBe(1_000);
      expect(outcomes.reduce((n, o) => n + o.duplicates, 0)).toBe(1_000);
      const ids = (await a.queryResults({ agent: 'lab-1', limit: 5_000 })).map((r) => r.resultId).sort((x, y) => x - y);
      expect(ids).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
      // Each status change recorded once: the same as one store would have recorded alone.
      const events = outcomes.flatMap((o) => o.events).filter((e) => e.kind === 'check');
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      for (let c = 0; c < 5; c++) {
        const points = batches.flatMap((batch) => batch.results).filter((r) => r.checkId === `c${c}`).map((r) => ({ resultId: r.resultId, at: r.startedAtMs, status: r.status }));
        const recorded = (await a.queryEvents({ agent: 'lab-1', checkId: `c${c}`, kind: 'check', limit: 1_000 })).reverse();
        expect(recorded.map((e) => [e.at, e.from, e.to])).toEqual(transitionsAlong(points, null).map((t) => [t.at, t.from, t.to]));
      }
      expect(await a.findAgentByName('lab-1')).toMatchObject({ resultsStored: 1_000, duplicates: 1_000 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('stores text with quotes, backslashes, braces, commas, newlines and the word NULL as sent', async () => {
    const store = await freshStore();
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(3), 2_000);
      const agent = (await store.findAgentByName('lab-1'))!;
      const texts = ['say "hi"', 'C:\\temp\\x', '{a,b}', 'line 1\nline 2\ttab', 'NULL', '', 'ünïcødé ✓'];
      const results = texts.map((text, i) => testResult(i + 1, 1_000 + i, Status.WARNING, `chk ${text}`, text, i % 2 === 0 ? { ms: i } : {}));
      expect(await store.ingestBatches(agent.id, [testBatch(1, results.slice(0, 3)), testBatch(2, results.slice(3))], 5_000)).toMatchObject([{ stored: 3 }, { stored: 4 }]);
      const rows = await store.queryResults({ agent: 'lab-1', limit: 100 });
      expect(rows.map((r) => [r.checkId, r.message, r.metrics])).toEqual(texts.map((text, i) => [`chk ${text}`, text, i % 2 === 0 ? { ms: i } : {}]));
    } finally {
      await store.close();
    }
  });

  it('gives one call with several batches, out of order for a check, the events and states of one call per batch', async () => {
    const one = await freshStore();
    const each = await freshStore();
    try {
      const batches = [
        testBatch(1, [testResult(1, 1_000, Status.OK, 'a'), testResult(2, 1_000, Status.OK, 'b')]),
        testBatch(2, [testResult(3, 3_000, Status.CRITICAL, 'a'), testResult(4, 2_000, Status.CRITICAL, 'b'), testResult(2, 1_000, Status.OK, 'b')]),
        // Result 5 is older than result 3 of the same check: a must move before this batch is stored.
        testBatch(3, [testResult(5, 2_000, Status.WARNING, 'a'), testResult(6, 4_000, Status.OK, 'b')]),
        testBatch(4, [testResult(7, 5_000, Status.OK, 'a'), testResult(7, 5_000, Status.OK, 'a')]),
      ];
      const run = async (store: PgStore, together: boolean) => {
        const token = await issueToken(store, 60_000, null, 1_000);
        await store.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(5), 2_000);
        const agent = (await store.findAgentByName('lab-1'))!;
        const outcomes = together ? await store.ingestBatches(agent.id, batches, 9_000) : await Promise.all(batches.map((b) => store.ingestBatch(agent.id, b, 9_000)));
        // Per check in timeline order: ids across checks follow the order checks were moved in.
        const events = (await store.queryEvents({ agent: 'lab-1', limit: 100 }))
          .map((e) => [e.checkId, e.at, e.resultId, e.from, e.to, e.backfilled] as const)
          .sort((x, y) => String(x[0]).localeCompare(String(y[0])) || x[1] - y[1]);
        const states = (await store.listCheckStates('lab-1')).map((st) => [st.checkId, st.status, st.since, st.resultId, st.lastOk]);
        const perBatch = outcomes.map((o) => [o.stored, o.duplicates, o.events.map((e) => e.resultId).sort()]);
        // Which batch names a changed check may differ (its last result's); the console reads the union.
        const changed = [...new Set(outcomes.flatMap((o) => o.changedChecks))].sort();
        return { events, states, perBatch, changed, agent: await store.findAgentByName('lab-1') };
      };
      const together = await run(one, true);
      const apart = await run(each, false);
      expect(together.events).toEqual(apart.events);
      expect(together.states).toEqual(apart.states);
      expect(together.perBatch.map(([stored, duplicates]) => [stored, duplicates])).toEqual([[2, 0], [2, 1], [2, 0], [1, 1]]);
      expect(together.perBatch).toEqual(apart.perBatch);
      expect(together.changed).toEqual(['a', 'b']);
      expect(apart.changed).toEqual(['a', 'b']);
      expect(together.agent).toMatchObject({ resultsStored: 7, duplicates: 2, lastBatchSeq: 4, maxResultId: 7 });
    } finally {
      await Promise.all([one.close(), each.close()]);
    }
  });

  it('gives, for 300 random reorderings, calls of several batches the timelines, states, results and pages of one call per batch', async () => {
    const [apart, together] = await Promise.all([freshStore(), freshStore()]);
    try {
      const cases = await expectGroupedLikeApart(apart, together, 300);
      expect(cases.grouped).toBeGreaterThan(250);
      expect(cases.backfilled).toBeGreaterThan(500);
    } finally {
      await Promise.all([apart.close(), together.close()]);
    }
  }, 120_000);

  it('commits calls for one agent in the order they were made, even when none waits for the last', async () => {
    const store = await freshStore();
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(6), 2_000);
      const agent = (await store.findAgentByName('lab-1'))!;
      const statuses = [Status.OK, Status.CRITICAL, Status.CRITICAL, Status.OK, Status.WARNING, Status.OK, Status.OK, Status.CRITICAL];
      const batches = statuses.map((status, i) => testBatch(i + 1, [testResult(i + 1, 1_000 * (i + 1), status)]));
      await Promise.all(batches.map((b) => store.ingestBatch(agent.id, b, 9_000)));
      const recorded = (await store.queryEvents({ agent: 'lab-1', kind: 'check', limit: 100 })).reverse();
      const points = statuses.map((status, i) => ({ resultId: i + 1, at: 1_000 * (i + 1), status }));
      // Each in turn: live changes only, none rebuilt as late history.
      expect(recorded.map((e) => [e.at, e.from, e.to, e.backfilled])).toEqual(transitionsAlong(points, null).map((t) => [t.at, t.from, t.to, false]));
    } finally {
      await store.close();
    }
  });

  it('stores a result stamped past its clock allowance but keeps it out of the state, as SQLite does', async () => {
    const store = await freshStore();
    try {
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', new Uint8Array(32).fill(8), 2_000);
      const agent = (await store.findAgentByName('lab-1'))!;
      const now = Date.UTC(2026, 10, 28);
      const batch = testBatch(1, [testResult(1, now - 1_000, Status.OK), testResult(2, now + 3_600_000, Status.CRITICAL)]);
      expect(await store.ingestBatch(agent.id, batch, now)).toMatchObject({ stored: 2, duplicates: 0, future: 1 });
      expect((await store.listCheckStates('lab-1')).map((st) => [st.status, st.resultId])).toEqual([[Status.OK, 1]]);
      expect((await store.queryResults({ agent: 'lab-1', limit: 10 })).map((r) => r.resultId)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });
});
