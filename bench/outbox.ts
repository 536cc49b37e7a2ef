// Outbox insert and drain rate beside raw better-sqlite3 on a table of the same shape, in
// the same run, with the same rows (DESIGN §7: ≥ 60 % of raw in 1000-row transactions).
// Run: npx tsx bench/outbox.ts [--rows 200000] [--repeat 3] [--tiny]. See bench/OUTBOX-DRAIN.md.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox, type NewResult } from '../packages/agent/dist/outbox.js';
import { fitWireLimits, ResultEncoder } from '../packages/agent/dist/result-wire.js';
import { encodeResult } from '../packages/protocol/dist/index.js';
import { checkIds, dayShape, makeChunk } from './lib/backlog.js';
import { onInterrupt } from './lib/netns.js';
import { formatTable, ratio, writeResults, type BenchRow } from './lib/report.js';
import { median, numberArg, parseArgs } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), { tiny: 'flag', rows: 'number', repeat: 'number', 'results-dir': 'string' });
const tiny = args.has('tiny');
const ROWS_PER_TXN = 1_000;
const rows = numberArg(args, 'rows', tiny ? 5_000 : 200_000);
const repeat = numberArg(args, 'repeat', tiny ? 1 : 5);
const TARGET = 0.6;

// The outbox's own table, for the raw side.
const RAW_SCHEMA = `CREATE TABLE results (
  result_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  check_id   TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  body       BLOB    NOT NULL
)`;

interface Sample {
  encodeSec: number;
  rawInsertSec: number;
  /** Raw better-sqlite3 encoding each row inline as append does: isolates the Outbox wrapper's own cost. */
  rawEncodeInsertSec: number;
  rawDrainSec: number;
  outboxInsertSec: number;
  outboxDrainSec: number;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * Encoding alone, exactly as Outbox.append does it (`ResultEncoder`, one call per row, into
 * its reused buffer). The raw side's bodies are encoded separately, before any timing.
 */
function timeEncode(chunks: readonly NewResult[][]): number {
  const encoder = new ResultEncoder();
  const start = process.hrtime.bigint();
  let id = 1;
  let bytes = 0;
  for (const chunk of chunks) for (const r of chunk) bytes += encoder.encode(fitWireLimits(r), id++).length;
  const sec = seconds(start);
  if (bytes === 0) throw new Error('nothing encoded');
  return sec;
}

/** The raw side's pre-encoded bodies: the very bytes the outbox stores. */
function encodeAll(chunks: readonly NewResult[][]): Uint8Array[][] {
  let id = 1;
  return chunks.map((chunk) => chunk.map((r) => encodeResult({ ...r, resultId: id++ })));
}

/** Raw insert that encodes each row inline (as append does) and does not drain. */
function timeRawEncoding(path: string, chunks: readonly NewResult[][]): number {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(RAW_SCHEMA);
    const insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    const encoder = new ResultEncoder();
    const insertChunk = db.transaction((chunk: readonly NewResult[], firstId: number) => {
      let id = firstId;
      for (const r of chunk) {
        insert.run(id, r.checkId, r.startedAtMs, r.status, encoder.encode(fitWireLimits(r), id));
        id += 1;
      }
    });
    const start = process.hrtime.bigint();
    let id = 1;
    for (const chunk of chunks) {
      insertChunk(chunk, id);
      id += chunk.length;
    }
    return seconds(start);
  } finally {
    db.close();
  }
}

function timeRaw(path: string, chunks: readonly NewResult[][], bodies: readonly Uint8Array[][]): { insertSec: number; drainSec: number } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(RAW_SCHEMA);
    // The same statement the outbox prepares: ids are given, as the outbox gives them.
    const insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    const insertChunk = db.transaction((chunk: readonly NewResult[], encoded: readonly Uint8Array[], firstId: number) => {
      for (let k = 0; k < chunk.length; k++) {
        const r = chunk[k]!;
        insert.run(firstId + k, r.checkId, r.startedAtMs, r.status, encoded[k]);
      }
    });
    let start = process.hrtime.bigint();
    let id = 1;
    for (let c = 0; c < chunks.length; c++) {
      insertChunk(chunks[c]!, bodies[c]!, id);
      id += chunks[c]!.length;
    }
    const insertSec = seconds(start);

    const select = db.prepare<[number, number], { result_id: number; body: Buffer }>('SELECT result_id, body FROM results WHERE result_id > ? ORDER BY result_id LIMIT ?');
    const remove = db.prepare('DELETE FROM results WHERE result_id BETWEEN ? AND ?');
    const drainOne = db.transaction((after: number): number => {
      const batch = select.all(after, ROWS_PER_TXN);
      if (batch.length === 0) return -1;
      const last = batch[batch.length - 1]!.result_id;
      remove.run(batch[0]!.result_id, last);
      return last;
    });
    start = process.hrtime.bigint();
    for (let cursor = 0; cursor >= 0; ) cursor = drainOne(cursor);
    const drainSec = seconds(start);
    if ((db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n !== 0) throw new Error('raw drain left rows behind');
    return { insertSec, drainSec };
  } finally {
    db.close();
  }
}

function timeOutbox(path: string, chunks: readonly NewResult[][]): { insertSec: number; drainSec: number; fileBytes: number } {
  const outbox = Outbox.open(path);
  try {
    let start = process.hrtime.bigint();
    for (const chunk of chunks) outbox.append(chunk);
    const insertSec = seconds(start);
    const fileBytes = statSync(path).size + statSync(`${path}-wal`).size;

    start = process.hrtime.bigint();
    let cursor = 0;
    for (;;) {
      // What the uplink does per batch: read (default 1 MiB batch cap), then remove on the Ack.
      const batch = outbox.readAfter(cursor, ROWS_PER_TXN, 1 << 20);
      if (batch.length === 0) break;
      cursor = batch[batch.length - 1]!.resultId;
      outbox.remove(batch[0]!.resultId, cursor);
    }
    const drainSec = seconds(start);
    if (outbox.depth().count !== 0) throw new Error(`outbox drain left ${outbox.depth().count} rows behind`);
    return { insertSec, drainSec, fileBytes };
  } finally {
    outbox.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-outbox-'));
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const ids = checkIds(1_000);
    const shape = dayShape(rows);
    const chunks: NewResult[][] = [];
    for (let from = 0; from < rows; from += ROWS_PER_TXN) chunks.push(makeChunk(from, Math.min(ROWS_PER_TXN, rows - from), shape, ids));
    console.log(`outbox bench: ${rows.toLocaleString('en-US')} rows in ${ROWS_PER_TXN}-row transactions, ${repeat} repeat(s), files in ${dir}`);

    const bodies = encodeAll(chunks);
    const bodyBytes = bodies.reduce((sum, list) => sum + list.reduce((s, b) => s + b.length, 0), 0);
    const samples: Sample[] = [];
    let fileBytes = 0;
    for (let r = 0; r < repeat; r++) {
      const encodeSec = timeEncode(chunks);
      // Alternate which side goes first so neither always gets the warmer cache.
      const runRaw = () => timeRaw(join(dir, `raw-${r}.db`), chunks, bodies);
      const runOutbox = () => timeOutbox(join(dir, `outbox-${r}.db`), chunks);
      let raw: ReturnType<typeof runRaw>;
      let ours: ReturnType<typeof runOutbox>;
      if (r % 2 === 0) {
        raw = runRaw();
        ours = runOutbox();
      } else {
        ours = runOutbox();
        raw = runRaw();
      }
      const rawEncodeInsertSec = timeRawEncoding(join(dir, `raw-encoding-${r}.db`), chunks);
      fileBytes = ours.fileBytes;
      for (const name of [`raw-${r}.db`, `outbox-${r}.db`, `raw-encoding-${r}.db`]) for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, name + suffix), { force: true });
      const sample = { encodeSec, rawInsertSec: raw.insertSec, rawEncodeInsertSec, rawDrainSec: raw.drainSec, outboxInsertSec: ours.insertSec, outboxDrainSec: ours.drainSec };
      samples.push(sample);
      const rate = (sec: number) => Math.round(rows / sec).toLocaleString('en-US');
      console.log(
        `  repeat ${r + 1}: insert raw ${rate(sample.rawInsertSec)}/s outbox ${rate(sample.outboxInsertSec)}/s ` +
          `(encode alone ${rate(sample.encodeSec)}/s, raw encoding inline ${rate(sample.rawEncodeInsertSec)}/s); ` +
          `drain raw ${rate(sample.rawDrainSec)}/s outbox ${rate(sample.outboxDrainSec)}/s`,
      );
    }

    const med = (key: keyof Sample) => median(samples.map((s) => s[key]));
    const perSec = (sec: number) => rows / sec;
    const settings = `${rows} rows, ${ROWS_PER_TXN}-row txns, WAL + synchronous=NORMAL, ~${Math.round(bodyBytes / rows)} B/row, median of ${repeat}`;
    const compared = (scenario: string, outpost: number, peer: number): BenchRow => {
      const row: BenchRow = { scenario, unit: 'rows/s', outpost, peer, peerTool: 'raw better-sqlite3', better: 'higher', target: '≥ 0.60× raw better-sqlite3', met: undefined, settings };
      row.met = (ratio(row) ?? 0) >= TARGET;
      return row;
    };
    const rowsOut: BenchRow[] = [
      compared('outbox insert: Outbox.append (encodes each row)', perSec(med('outboxInsertSec')), perSec(med('rawInsertSec'))),
      compared('outbox drain: readAfter 1000 + remove(from,to)', perSec(med('outboxDrainSec')), perSec(med('rawDrainSec'))),
      { scenario: 'ResultEncoder alone (part of append)', unit: 'rows/s', outpost: perSec(med('encodeSec')), peer: undefined, peerTool: '-', better: 'higher', target: '-', met: undefined, settings },
      {
        scenario: 'outbox insert vs raw that also encodes inline',
        unit: 'rows/s',
        outpost: perSec(med('outboxInsertSec')),
        peer: perSec(med('rawEncodeInsertSec')),
        peerTool: 'raw better-sqlite3 + ResultEncoder',
        better: 'higher',
        target: 'informational (wrapper cost)',
        met: undefined,
        settings,
      },
    ];
    console.log(`\n${formatTable(rowsOut)}\n`);
    const resultsDir = args.get('results-dir');
    const path = writeResults(
      { name: 'outbox', rows: rowsOut, details: { rows, rowsPerTxn: ROWS_PER_TXN, repeat, loadAverage: loadavg(), bodyBytesPerRow: bodyBytes / rows, outboxFileBytes: fileBytes, samples } },
      typeof resultsDir === 'string' ? resultsDir : undefined,
    );
    console.log(`results: ${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
}

await main();
