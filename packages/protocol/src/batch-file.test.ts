import { describe, expect, it } from 'vitest';
import {
  batchFileName,
  BATCH_FILE_HEADER_BYTES,
  canonicalJson,
  decodeBatchFile,
  encodeBatchBody,
  encodeBatchFile,
  encodeKey,
  encodeResult,
  ErrorCode,
  EXPORT_MANIFEST_DOMAIN,
  EXPORT_MANIFEST_FORMAT,
  generateKeyPair,
  idRanges,
  IMPORT_RECEIPT_DOMAIN,
  IMPORT_RECEIPT_FORMAT,
  openBatch,
  parseManifest,
  parseReceipt,
  PublicKey,
  signBatch,
  signDocument,
  Status,
  verifyDocument,
  type ExportManifest,
  type ImportReceipt,
} from './index.js';

const keys = generateKeyPair();

function batchFile(count: number): Uint8Array {
  const results = Array.from({ length: count }, (_, i) => encodeResult({ resultId: i + 1, checkId: 'tcp', startedAtMs: 1_700_000_000_000 + i, status: Status.OK }));
  const payload = encodeBatchBody({ agentKey: keys.publicKey, batchSeq: 7, createdMs: 1_700_000_001_000, clockOffsetMs: 0 }, results);
  return encodeBatchFile(signBatch(keys.secretKey, payload));
}

function manifest(files = [{ name: 'lab-1-1-3.outpost-batch', sha256: 'a'.repeat(64), bytes: 100, batchSeq: 7, firstResultId: 1, lastResultId: 3, results: 3, gaps: 0 }]): ExportManifest {
  return signDocument<ExportManifest>(keys.secretKey, EXPORT_MANIFEST_DOMAIN, {
    format: EXPORT_MANIFEST_FORMAT, exportId: 'x1', agent: 'lab-1', agentKey: encodeKey(keys.publicKey), createdMs: 1_700_000_000_000, software: 'outpost-agent/0.1.0', files,
  });
}

describe('batch files', () => {
  it('round-trips a signed batch: the file holds the wire bytes, verified like a live batch', () => {
    const bytes = batchFile(3);
    expect(Buffer.from(bytes.subarray(0, 14)).toString('ascii')).toBe('OUTPOST-BATCH\n');
    const body = openBatch(decodeBatchFile(bytes, 'f'), PublicKey.from(keys.publicKey));
    expect(body.batchSeq).toBe(7);
    expect(body.results.map((r) => r.resultId)).toEqual([1, 2, 3]);
  });

  it('refuses bad magic, another version, a truncated file and a length past the limit, naming the file', () => {
    const good = batchFile(2);
    const badMagic = Uint8Array.from(good);
    badMagic[0] = 0x58;
    expect(() => decodeBatchFile(badMagic, 'one.outpost-batch')).toThrow(expect.objectContaining({ code: ErrorCode.BAD_FRAME, message: expect.stringContaining('one.outpost-batch') }));
    const version = Uint8Array.from(good);
    version[14] = 9;
    expect(() => decodeBatchFile(version, 'v')).toThrow(expect.objectContaining({ code: ErrorCode.VERSION }));
    expect(() => decodeBatchFile(good.subarray(0, good.length - 1), 't')).toThrow(expect.objectContaining({ code: ErrorCode.BAD_FRAME }));
    expect(() => decodeBatchFile(good, 'big', { maxMessageBytes: good.length - BATCH_FILE_HEADER_BYTES - 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }),
    );
    // A header claiming 4 GiB is refused before anything is read past it.
    const huge = Uint8Array.from(good);
    Buffer.from(huge.buffer).writeUInt32BE(0xffff_ffff, 15);
    expect(() => decodeBatchFile(huge, 'huge')).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
  });

  it('a flipped byte in the batch fails its signature', () => {
    const bytes = batchFile(2);
    bytes[bytes.length - 80]! ^= 0x01;
    expect(() => openBatch(decodeBatchFile(bytes, 'f'), PublicKey.from(keys.publicKey))).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('names files by agent and result id range', () => {
    expect(batchFileName('lab-1', 1, 5000)).toBe('lab-1-1-5000.outpost-batch');
    expect(batchFileName('lab-1', 20, 29, true)).toBe('lab-1-gaps-20-29.outpost-batch');
  });
});

describe('manifest and receipt signatures', () => {
  it('verifies a manifest however it was pretty-printed, and not with another key or domain', () => {
    const m = manifest();
    const reparsed = parseManifest(JSON.stringify(m, null, 4), 'manifest.json');
    const key = PublicKey.parse(m.agentKey);
    expect(verifyDocument(reparsed, EXPORT_MANIFEST_DOMAIN, key)).toBe(true);
    expect(verifyDocument(reparsed, IMPORT_RECEIPT_DOMAIN, key)).toBe(false);
    expect(verifyDocument(reparsed, EXPORT_MANIFEST_DOMAIN, PublicKey.from(generateKeyPair().publicKey))).toBe(false);
  });

  it('a file removed from the manifest or a changed hash breaks its signature', () => {
    const m = manifest([
      { name: 'a-1-2.outpost-batch', sha256: 'a'.repeat(64), bytes: 1, batchSeq: 1, firstResultId: 1, lastResultId: 2, results: 2, gaps: 0 },
      { name: 'a-3-4.outpost-batch', sha256: 'b'.repeat(64), bytes: 1, batchSeq: 2, firstResultId: 3, lastResultId: 4, results: 2, gaps: 0 },
    ]);
    const key = PublicKey.parse(m.agentKey);
    expect(verifyDocument({ ...m, files: m.files.slice(1) }, EXPORT_MANIFEST_DOMAIN, key)).toBe(false);
    expect(verifyDocument({ ...m, files: [m.files[0]!, { ...m.files[1]!, sha256: 'c'.repeat(64) }] }, EXPORT_MANIFEST_DOMAIN, key)).toBe(false);
    expect(verifyDocument({ ...m, signature: 'x' }, EXPORT_MANIFEST_DOMAIN, key)).toBe(false);
  });

  it('refuses manifests with a path in a file name, a duplicate name or a missing field', () => {
    const entry = { name: 'a-1-2.outpost-batch', sha256: 'a'.repeat(64), bytes: 1, batchSeq: 1, firstResultId: 1, lastResultId: 2, results: 2, gaps: 0 };
    const bad = (files: unknown[]) => JSON.stringify({ ...manifest(), files });
    expect(() => parseManifest(bad([{ ...entry, name: '../etc/a.outpost-batch' }]), 'm')).toThrow(expect.objectContaining({ code: ErrorCode.BAD_FRAME }));
    expect(() => parseManifest(bad([entry, entry]), 'm')).toThrow(/listed twice/);
    expect(() => parseManifest(bad([{ ...entry, results: -1 }]), 'm')).toThrow(/non-negative integer/);
    expect(() => parseManifest('{"format":"other"}', 'm')).toThrow(/format/);
    expect(() => parseManifest('not json', 'm')).toThrow(/not JSON/);
  });

  it('signs and parses a receipt', () => {
    const collector = generateKeyPair();
    const receipt = signDocument<ImportReceipt>(collector.secretKey, IMPORT_RECEIPT_DOMAIN, {
      format: IMPORT_RECEIPT_FORMAT, exportId: 'x1', agent: 'lab-1', agentKey: encodeKey(keys.publicKey), collectorKey: encodeKey(collector.publicKey), importedMs: 5,
      files: [{ name: 'a-1-2.outpost-batch', status: 'imported', stored: 2, duplicates: 0, resultRanges: [[1, 2]], gaps: [] }],
    });
    const parsed = parseReceipt(JSON.stringify(receipt), 'receipt.json');
    expect(verifyDocument(parsed, IMPORT_RECEIPT_DOMAIN, PublicKey.from(collector.publicKey))).toBe(true);
    expect(verifyDocument({ ...parsed, files: [{ ...parsed.files[0]!, resultRanges: [[1, 9]] }] }, IMPORT_RECEIPT_DOMAIN, PublicKey.from(collector.publicKey))).toBe(false);
    expect(() => parseReceipt(JSON.stringify({ ...receipt, files: [{ ...receipt.files[0]!, resultRanges: [[5, 1]] }] }), 'r')).toThrow(/malformed ranges/);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'x' }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":"x","z":1}]},"b":1}');
  });

  it('collapses ids into ranges', () => {
    expect(idRanges([7, 1, 2, 3, 8, 10])).toEqual([[1, 3], [7, 8], [10, 10]]);
    expect(idRanges([])).toEqual([]);
  });
});
