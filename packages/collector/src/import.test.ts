import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchFileName,
  encodeBatchBody,
  encodeBatchFile,
  encodeKey,
  encodeResult,
  ErrorCode,
  EXPORT_MANIFEST_DOMAIN,
  EXPORT_MANIFEST_FORMAT,
  generateKeyPair,
  IMPORT_RECEIPT_DOMAIN,
  parseReceipt,
  PublicKey,
  signBatch,
  signDocument,
  Status,
  verifyDocument,
  type ExportManifest,
  type KeyPair,
  type ManifestFile,
} from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importExport } from './import.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
let store: SqliteStore;
const collector = generateKeyPair();
const agentKeys = generateKeyPair();

/** An export directory as `outpost-agent export` writes it: `perFile` results a file, status CRITICAL from id `criticalFrom`. */
function writeExport(out: string, ids: number[][], keys: KeyPair = agentKeys, agent = 'lab-1', criticalFrom = Infinity): ExportManifest {
  mkdirSync(out, { recursive: true });
  const files: ManifestFile[] = ids.map((group, i) => {
    const results = group.map((id) =>
      encodeResult({ resultId: id, checkId: 'tcp', startedAtMs: 1_700_000_000_000 + id * 1000, status: id >= criticalFrom ? Status.CRITICAL : Status.OK, observation: 'open' }),
    );
    const payload = encodeBatchBody({ agentKey: keys.publicKey, batchSeq: i + 1, createdMs: 1_700_000_100_000, clockOffsetMs: 0 }, results);
    const bytes = encodeBatchFile(signBatch(keys.secretKey, payload));
    const name = batchFileName(agent, group[0]!, group[group.length - 1]!);
    writeFileSync(join(out, name), bytes);
    return { name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, batchSeq: i + 1, firstResultId: group[0]!, lastResultId: group[group.length - 1]!, results: group.length, gaps: 0 };
  });
  const manifest = signDocument<ExportManifest>(keys.secretKey, EXPORT_MANIFEST_DOMAIN, {
    format: EXPORT_MANIFEST_FORMAT, exportId: 'e1', agent, agentKey: encodeKey(keys.publicKey), createdMs: 1_700_000_100_000, software: 'test', files,
  });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

const run = (out: string) => importExport({ store, keyPair: collector, collectorKey: encodeKey(collector.publicKey), dir: out });
const storedIds = async () => (await store.queryResults({ agent: 'lab-1', limit: 100_000 })).map((r) => r.resultId).sort((a, b) => a - b);
const seq = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function enroll(name = 'lab-1', keys = agentKeys): Promise<void> {
  await store.createPendingAgent(name, keys.publicKey, 1, 10);
  await store.setAgentStatus(name, 'active', 2);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-import-'));
  store = SqliteStore.open(join(dir, 'collector.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('importExport', () => {
  it('stores every result once, advances check state, and a second import is all duplicates', async () => {
    await enroll();
    const out = join(dir, 'x');
    writeExport(out, [seq(1, 10), seq(11, 20), seq(21, 25)], agentKeys, 'lab-1', 21);
    const first = await run(out);
    expect(first.total).toEqual({ new: 25, duplicate: 0, rejected: 0, rejectedFiles: 0 });
    expect(await storedIds()).toEqual(seq(1, 25));
    const [state] = await store.listCheckStates('lab-1');
    expect(state).toMatchObject({ checkId: 'tcp', status: Status.CRITICAL, resultId: 25 });
    expect((await store.queryEvents({ agent: 'lab-1', kind: 'check', limit: 10 })).map((e) => e.to)).toContain(Status.CRITICAL);
    // Media say nothing about the agent being alive now: it is not "heard from", so a
    // running collector will not later call it silent because of an import.
    expect(await store.findAgentByName('lab-1')).toMatchObject({ lastSeenAt: null, resultsStored: 25 });

    const second = await run(out);
    expect(second.total).toEqual({ new: 0, duplicate: 25, rejected: 0, rejectedFiles: 0 });
    expect(await storedIds()).toEqual(seq(1, 25));

    const receipt = parseReceipt(readFileSync(join(out, 'receipt.json'), 'utf8'), 'receipt.json');
    expect(verifyDocument(receipt, IMPORT_RECEIPT_DOMAIN, PublicKey.from(collector.publicKey))).toBe(true);
    expect(receipt.files.map((f) => [f.status, f.resultRanges])).toEqual([['imported', [[1, 10]]], ['imported', [[11, 20]]], ['imported', [[21, 25]]]]);
  });

  it('rejects a tampered file by name and still imports the others', async () => {
    await enroll();
    const out = join(dir, 'x');
    const manifest = writeExport(out, [seq(1, 10), seq(11, 20), seq(21, 30)]);
    const victim = join(out, manifest.files[1]!.name);
    const bytes = readFileSync(victim);
    bytes[bytes.length - 100]! ^= 0x01;
    writeFileSync(victim, bytes);
    const report = await run(out);
    expect(report.files.map((f) => f.status)).toEqual(['imported', 'rejected', 'imported']);
    expect(report.files[1]).toMatchObject({ name: 'lab-1-11-20.outpost-batch', rejected: 10, reason: expect.stringContaining('sha256') });
    expect(report.total).toEqual({ new: 20, duplicate: 0, rejected: 10, rejectedFiles: 1 });
    expect(await storedIds()).toEqual([...seq(1, 10), ...seq(21, 30)]);
    expect(parseReceipt(readFileSync(join(out, 'receipt.json'), 'utf8'), 'r').files[1]).toMatchObject({ status: 'rejected', resultRanges: [] });
  });

  it('rejects a file whose hash matches a rewritten manifest entry but whose batch signature fails', async () => {
    await enroll();
    const out = join(dir, 'x');
    const manifest = writeExport(out, [seq(1, 5)]);
    const path = join(out, manifest.files[0]!.name);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100]! ^= 0x01;
    writeFileSync(path, bytes);
    // Whoever rewrote the file and the hash cannot re-sign the manifest with the agent key.
    const forged = { ...manifest, files: [{ ...manifest.files[0]!, sha256: createHash('sha256').update(bytes).digest('hex') }] };
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(forged));
    const report = await run(out);
    expect(report.refused?.code).toBe(ErrorCode.BAD_SIGNATURE);
    expect(report.files[0]!.status).toBe('rejected');
    expect(await storedIds()).toEqual([]);
  });

  it('rejects a listed file whose hash matches but whose batch is not signed by the agent key', async () => {
    await enroll();
    const out = join(dir, 'x');
    writeExport(out, [seq(1, 5)]);
    // A batch signed by someone else, listed with its true hash in a manifest the agent signed.
    const other = join(dir, 'other');
    const foreign = writeExport(other, [seq(6, 8)], generateKeyPair());
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
    writeFileSync(join(out, foreign.files[0]!.name), readFileSync(join(other, foreign.files[0]!.name)));
    const { signature: _signature, ...unsigned } = { ...manifest, files: [...manifest.files, foreign.files[0]!] };
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(signDocument<ExportManifest>(agentKeys.secretKey, EXPORT_MANIFEST_DOMAIN, unsigned)));
    const report = await run(out);
    expect(report.files[1]).toMatchObject({ name: 'lab-1-6-8.outpost-batch', status: 'rejected', reason: expect.stringContaining(ErrorCode.BAD_SIGNATURE) });
    expect(await storedIds()).toEqual(seq(1, 5));
  });

  it('reports a file missing from the directory and one not in the manifest', async () => {
    await enroll();
    const out = join(dir, 'x');
    const manifest = writeExport(out, [seq(1, 5), seq(6, 9)]);
    unlinkSync(join(out, manifest.files[0]!.name));
    writeFileSync(join(out, 'lab-1-100-101.outpost-batch'), 'stray');
    const report = await run(out);
    expect(report.files.map((f) => [f.name, f.status, f.reason?.slice(0, 12)])).toEqual([
      ['lab-1-1-5.outpost-batch', 'rejected', 'missing: lis'],
      ['lab-1-6-9.outpost-batch', 'imported', undefined],
      ['lab-1-100-101.outpost-batch', 'rejected', 'not listed i'],
    ]);
    expect(await storedIds()).toEqual(seq(6, 9));
  });

  it('records an unknown agent as pending, refuses pending and revoked agents, and imports once approved', async () => {
    const out = join(dir, 'x');
    writeExport(out, [seq(1, 3)]);
    const unknown = await run(out);
    expect(unknown.refused?.code).toBe(ErrorCode.PENDING_APPROVAL);
    expect(unknown.files[0]).toMatchObject({ status: 'rejected', rejected: 3 });
    expect((await store.findAgentByName('lab-1'))?.status).toBe('pending');
    expect((await run(out)).refused?.code).toBe(ErrorCode.PENDING_APPROVAL);
    await store.setAgentStatus('lab-1', 'active', 3);
    expect((await run(out)).total.new).toBe(3);
    await store.setAgentStatus('lab-1', 'revoked', 4);
    expect((await run(out)).refused?.code).toBe(ErrorCode.REVOKED);
  });

  it("refuses an export naming an enrolled agent under another key", async () => {
    await enroll();
    const out = join(dir, 'x');
    writeExport(out, [seq(1, 3)], generateKeyPair());
    expect((await run(out)).refused?.code).toBe(ErrorCode.NAME_TAKEN);
    expect(await storedIds()).toEqual([]);
  });

  it('accepts files signed with the key before a rotation', async () => {
    await enroll();
    const next = generateKeyPair();
    expect(await store.rotateAgentKey((await store.findAgentByName('lab-1'))!.id, next.publicKey)).toBe('rotated');
    const out = join(dir, 'x');
    writeExport(out, [seq(1, 4)]);
    expect((await run(out)).total).toMatchObject({ new: 4, rejectedFiles: 0 });
  });

  it('refuses a directory without a manifest', async () => {
    const out = join(dir, 'empty');
    mkdirSync(out);
    const report = await run(out);
    expect(report.refused?.message).toMatch(/no manifest\.json/);
    await expect(run(join(dir, 'nope'))).rejects.toMatchObject({ code: ErrorCode.CONFIG });
  });

  describe('on hostile media', () => {
    it('does not write the receipt through a symlink planted at its temporary name', async () => {
      await enroll();
      const out = join(dir, 'x');
      writeExport(out, [seq(1, 5)]);
      const target = join(dir, 'precious.txt');
      writeFileSync(target, 'keep me\n');
      symlinkSync(target, join(out, 'receipt.json.tmp'));
      const report = await run(out);
      expect(readFileSync(target, 'utf8')).toBe('keep me\n');
      // The results are in; only the receipt is refused, with the name and why.
      expect(report.total).toMatchObject({ new: 5, rejectedFiles: 0 });
      expect(report.receiptFile).toBeUndefined();
      expect(report.receiptError).toMatch(/receipt\.json\.tmp is a symbolic link/);
      expect(existsSync(join(out, 'receipt.json'))).toBe(false);
    });

    it('replaces a regular temporary file a crashed import left behind', async () => {
      await enroll();
      const out = join(dir, 'x');
      writeExport(out, [seq(1, 5)]);
      writeFileSync(join(out, 'receipt.json.tmp'), 'half a receipt');
      const report = await run(out);
      expect(report.receiptError).toBeUndefined();
      expect(parseReceipt(readFileSync(join(out, 'receipt.json'), 'utf8'), 'receipt.json').files).toHaveLength(1);
      expect(existsSync(join(out, 'receipt.json.tmp'))).toBe(false);
    });

    it('refuses a manifest.json that is a symlink to /dev/zero, by name, without reading it', async () => {
      await enroll();
      const out = join(dir, 'x');
      writeExport(out, [seq(1, 5)]);
      unlinkSync(join(out, 'manifest.json'));
      symlinkSync('/dev/zero', join(out, 'manifest.json'));
      const report = await run(out);
      expect(report.refused).toMatchObject({ code: ErrorCode.BAD_FRAME, message: expect.stringMatching(/manifest\.json is a symbolic link/) });
      expect(await storedIds()).toEqual([]);
    });

    it('rejects a batch file that is a symlink (to a FIFO here) by name and imports the others', async () => {
      await enroll();
      const out = join(dir, 'x');
      const manifest = writeExport(out, [seq(1, 5), seq(6, 9)]);
      const victim = join(out, manifest.files[0]!.name);
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      unlinkSync(victim);
      symlinkSync(fifo, victim);
      expect(lstatSync(victim).isSymbolicLink()).toBe(true);
      const report = await run(out);
      expect(report.files.map((f) => f.status)).toEqual(['rejected', 'imported']);
      expect(report.files[0]!.reason).toMatch(/lab-1-1-5\.outpost-batch is a symbolic link/);
      expect(await storedIds()).toEqual(seq(6, 9));
    });
  });
});
