import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeBatchFile,
  encodeKey,
  ErrorCode,
  EXPORT_MANIFEST_DOMAIN,
  generateKeyPair,
  IMPORT_RECEIPT_DOMAIN,
  IMPORT_RECEIPT_FORMAT,
  openBatch,
  parseManifest,
  PublicKey,
  signDocument,
  Status,
  verifyDocument,
  type ImportReceipt,
  type KeyPair,
} from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outboxPath } from './agent.js';
import { exportOutbox } from './export.js';
import { createKeyFile } from './key-file.js';
import { Outbox, type NewResult } from './outbox.js';
import { applyReceipt } from './receipt.js';

let dir: string;
let agentKeys: KeyPair;
const collectorKeys = generateKeyPair();
const config = () => ({
  name: 'lab-1',
  keyFile: join(dir, 'agent.key'),
  dataDir: join(dir, 'data'),
  collector: { urls: ['wss://127.0.0.1:41121/outpost/v1'], key: PublicKey.from(collectorKeys.publicKey), tlsFingerprint: undefined, token: undefined, insecure: false },
});

const make = (i: number, extra: Partial<NewResult> = {}): NewResult => ({
  checkId: `c${i % 3}`,
  startedAtMs: 1_700_000_000_000 + i,
  durationUs: 10,
  status: Status.OK,
  observation: 'open',
  message: `m${i} ${'x'.repeat(200)}`,
  metrics: { connect_ms: i },
  checkConfigHash: 'h',
  ...extra,
});

function fill(count: number): void {
  const outbox = Outbox.open(outboxPath(config()));
  outbox.append(Array.from({ length: count }, (_, i) => make(i + 1)));
  outbox.close();
}

function waiting(): number[] {
  const outbox = Outbox.open(outboxPath(config()));
  try {
    return outbox.readAfter(0, 1_000_000, Number.MAX_SAFE_INTEGER).map((r) => r.resultId);
  } finally {
    outbox.close();
  }
}

function receiptFor(files: { name: string; ranges: [number, number][]; status?: 'imported' | 'rejected' }[], signer = collectorKeys): string {
  const receipt = signDocument<ImportReceipt>(signer.secretKey, IMPORT_RECEIPT_DOMAIN, {
    format: IMPORT_RECEIPT_FORMAT, exportId: 'e1', agent: 'lab-1', agentKey: encodeKey(agentKeys.publicKey), collectorKey: encodeKey(signer.publicKey), importedMs: 1,
    files: files.map((f) => ({ name: f.name, status: f.status ?? 'imported', stored: 0, duplicates: 0, resultRanges: f.ranges, gaps: [] })),
  });
  const path = join(dir, `receipt-${Math.random()}.json`);
  writeFileSync(path, JSON.stringify(receipt));
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-export-'));
  agentKeys = createKeyFile(join(dir, 'agent.key'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('exportOutbox', () => {
  it('writes every waiting result once, in signed batches no larger than the limit, with a signed manifest', () => {
    fill(2_500);
    const out = join(dir, 'out');
    const summary = exportOutbox({ config: config(), outDir: out, maxBatchResults: 1_000, maxMessageBytes: 128 * 1024 })!;
    expect(summary.results).toBe(2_500);
    const manifest = parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8'), 'manifest.json');
    expect(verifyDocument(manifest, EXPORT_MANIFEST_DOMAIN, PublicKey.from(agentKeys.publicKey))).toBe(true);
    expect(manifest.agentKey).toBe(encodeKey(agentKeys.publicKey));
    const ids: number[] = [];
    for (const file of manifest.files) {
      const bytes = readFileSync(join(out, file.name));
      expect(bytes.length).toBe(file.bytes);
      const batch = decodeBatchFile(bytes, file.name, { maxMessageBytes: 128 * 1024 });
      const body = openBatch(batch, PublicKey.from(agentKeys.publicKey));
      expect(file.name).toBe(`lab-1-${file.firstResultId}-${file.lastResultId}.outpost-batch`);
      expect(body.results.length).toBe(file.results);
      ids.push(...body.results.map((r) => r.resultId));
    }
    // The byte limit, not the count, cut these batches (about 240 bytes a result, 1,000 would be 240 KiB).
    expect(manifest.files.length).toBeGreaterThan(3);
    expect(ids).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Nothing was deleted.
    expect(waiting()).toHaveLength(2_500);
  });

  it('fills files up to the protocol limits by default: 5,000 results, or just under 4 MiB', () => {
    fill(6_000);
    expect(exportOutbox({ config: config(), outDir: join(dir, 'count') })!.files.map((f) => f.results)).toEqual([5_000, 1_000]);
    const outbox = Outbox.open(outboxPath(config()));
    outbox.append(Array.from({ length: 1_500 }, (_, i) => make(i, { message: 'y'.repeat(4_000) })));
    outbox.close();
    const big = exportOutbox({ config: config(), outDir: join(dir, 'bytes') })!;
    expect(big.files.length).toBe(2);
    for (const file of big.files) {
      // The collector's own limits accept it.
      decodeBatchFile(readFileSync(join(dir, 'bytes', file.name)), file.name);
    }
    expect(big.files[0]!.bytes).toBeGreaterThan(3.9 * 1024 * 1024);
    expect(big.results).toBe(1_500);
  });

  it('does not export rows twice unless asked, and refuses a directory that holds an export', () => {
    fill(10);
    exportOutbox({ config: config(), outDir: join(dir, 'a') });
    expect(exportOutbox({ config: config(), outDir: join(dir, 'b') })).toBeUndefined();
    fill(5);
    const next = exportOutbox({ config: config(), outDir: join(dir, 'c') })!;
    expect(next.files.map((f) => [f.firstResultId, f.lastResultId])).toEqual([[11, 15]]);
    const again = exportOutbox({ config: config(), outDir: join(dir, 'd'), again: true })!;
    expect(again.results).toBe(15);
    expect(() => exportOutbox({ config: config(), outDir: join(dir, 'a'), again: true })).toThrow(expect.objectContaining({ code: ErrorCode.CONFIG }));
  });

  it('carries gap records, in a file of their own when there are no results', () => {
    const outbox = Outbox.open(outboxPath(config()));
    outbox.recordLost([make(1), make(2)], 'write_failed');
    outbox.close();
    const summary = exportOutbox({ config: config(), outDir: join(dir, 'g') })!;
    expect(summary.files.map((f) => f.name)).toEqual(['lab-1-gaps-1-2.outpost-batch']);
    const body = openBatch(decodeBatchFile(readFileSync(join(dir, 'g', summary.files[0]!.name)), 'g'), PublicKey.from(agentKeys.publicKey));
    expect(body.gaps.map((g) => [g.fromResultId, g.toResultId, g.reason])).toEqual([[1, 2, 'write_failed']]);
  });

  it('refuses to write through a symlink planted at a temporary name on the media, leaving its target alone', () => {
    fill(3);
    const out = join(dir, 'media');
    mkdirSync(out);
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'keep me\n');
    symlinkSync(target, join(out, 'lab-1-1-3.outpost-batch.tmp'));
    expect(() => exportOutbox({ config: config(), outDir: out })).toThrow(/lab-1-1-3\.outpost-batch\.tmp is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
  });
});

describe('applyReceipt', () => {
  it('refuses a receipt that is a symlink (to /dev/zero here), by name, without reading it', () => {
    fill(3);
    const path = join(dir, 'receipt.json');
    symlinkSync('/dev/zero', path);
    expect(() => applyReceipt({ config: config(), receiptFile: path })).toThrow(/receipt\.json is a symbolic link/);
    expect(waiting()).toHaveLength(3);
  });

  it("deletes exactly the imported files' ranges, once", () => {
    fill(20);
    const path = receiptFor([{ name: 'a', ranges: [[1, 5], [8, 9]] }, { name: 'b', ranges: [[12, 20]], status: 'rejected' }]);
    expect(applyReceipt({ config: config(), receiptFile: path })).toMatchObject({ resultsRemoved: 7, filesImported: 1, filesRejected: 1 });
    expect(waiting()).toEqual([6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(applyReceipt({ config: config(), receiptFile: path }).resultsRemoved).toBe(0);
  });

  it('refuses a receipt from another collector key, a changed one, and one for another agent', () => {
    fill(5);
    expect(() => applyReceipt({ config: config(), receiptFile: receiptFor([{ name: 'a', ranges: [[1, 5]] }], generateKeyPair()) })).toThrow(
      expect.objectContaining({ code: ErrorCode.COLLECTOR_KEY }),
    );
    const path = receiptFor([{ name: 'a', ranges: [[1, 2]] }]);
    writeFileSync(path, readFileSync(path, 'utf8').replace('[[1,2]]', '[[1,5]]'));
    expect(() => applyReceipt({ config: config(), receiptFile: path })).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
    expect(() => applyReceipt({ config: { ...config(), name: 'lab-2' }, receiptFile: receiptFor([{ name: 'a', ranges: [[1, 5]] }]) })).toThrow(
      expect.objectContaining({ code: ErrorCode.WRONG_AGENT }),
    );
    expect(waiting()).toHaveLength(5);
  });
});

describe('compaction of exported rows', () => {
  it('releases exported rows first, without a gap record, before dropping any row that exists only here', () => {
    fill(300);
    exportOutbox({ config: config(), outDir: join(dir, 'x') });
    fill(300);
    const outbox = Outbox.open(outboxPath(config()));
    try {
      const before = outbox.depth();
      const gap = outbox.compact({ maxBytes: Math.floor(before.bytes * 0.6), maxAgeMs: 1e15 }, 0);
      expect(gap).toBeUndefined();
      const ids = outbox.readAfter(0, 10_000, Number.MAX_SAFE_INTEGER).map((r) => r.resultId);
      // Every row not exported (301..600) is still here; only exported ones went, oldest first.
      expect(ids.filter((id) => id > 300)).toHaveLength(300);
      expect(ids[0]).toBeGreaterThan(1);
      expect(outbox.depth().bytes).toBeLessThanOrEqual(Math.floor(before.bytes * 0.6));
      expect(outbox.getMeta('exported_released')).toBe(String(300 - ids.filter((id) => id <= 300).length));
    } finally {
      outbox.close();
    }
  });

  it('a running outbox sees rows another process deleted (a receipt applied while the agent runs)', () => {
    fill(50);
    const running = Outbox.open(outboxPath(config()));
    try {
      expect(running.depth().count).toBe(50);
      applyReceipt({ config: config(), receiptFile: receiptFor([{ name: 'a', ranges: [[1, 40]] }]) });
      expect(running.depth().count).toBe(10);
    } finally {
      running.close();
    }
  });
});
