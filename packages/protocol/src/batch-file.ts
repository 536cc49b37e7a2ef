import { ErrorCode, OutpostError } from './errors.js';
import { pb, type Batch, type BatchInit } from './frames.js';
import { sign, type PublicKey } from './keys.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.js';

/**
 * Batch files carry signed batches across an air gap (removable media, a data diode). A
 * file is the magic line, a version byte, the length of the Batch as u32 big-endian, then
 * the encoded `Batch` protobuf: the very bytes that travel in a live `Frame`, payload and
 * signature unchanged, so the collector verifies a file exactly like a live batch.
 */
export const BATCH_FILE_MAGIC = 'OUTPOST-BATCH\n';
export const BATCH_FILE_VERSION = 1;
export const BATCH_FILE_SUFFIX = '.outpost-batch';
/** Magic, version byte and u32 length. */
export const BATCH_FILE_HEADER_BYTES = BATCH_FILE_MAGIC.length + 1 + 4;

export const EXPORT_MANIFEST_DOMAIN = 'outpost/export-manifest/v1';
export const IMPORT_RECEIPT_DOMAIN = 'outpost/import-receipt/v1';
export const EXPORT_MANIFEST_FORMAT = 'outpost-export/v1';
export const IMPORT_RECEIPT_FORMAT = 'outpost-receipt/v1';

const MAGIC_BYTES = Buffer.from(BATCH_FILE_MAGIC, 'ascii');

/** The file bytes for one signed batch. */
export function encodeBatchFile(batch: BatchInit): Uint8Array {
  const body = pb.Batch.encode(batch).finish();
  const header = Buffer.alloc(BATCH_FILE_HEADER_BYTES);
  MAGIC_BYTES.copy(header, 0);
  header.writeUInt8(BATCH_FILE_VERSION, MAGIC_BYTES.length);
  header.writeUInt32BE(body.length, MAGIC_BYTES.length + 1);
  return Buffer.concat([header, body]);
}

/**
 * Check a batch file's header and decode its `Batch`; nothing is verified yet (that is
 * `openBatch`). The size is checked before parsing: a Batch larger than `maxMessageBytes`
 * would not be accepted on the wire either. `where` names the file in errors.
 */
export function decodeBatchFile(bytes: Uint8Array, where: string, limits: Pick<ProtocolLimits, 'maxMessageBytes'> = DEFAULT_LIMITS): Batch {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < BATCH_FILE_HEADER_BYTES || !buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: not an Outpost batch file (expected it to start with "OUTPOST-BATCH")`);
  }
  const version = buf.readUInt8(MAGIC_BYTES.length);
  if (version !== BATCH_FILE_VERSION) {
    throw new OutpostError(ErrorCode.VERSION, `${where}: batch file version ${version}, this build reads version ${BATCH_FILE_VERSION}`);
  }
  const length = buf.readUInt32BE(MAGIC_BYTES.length + 1);
  if (length > limits.maxMessageBytes) {
    throw new OutpostError(ErrorCode.FRAME_TOO_LARGE, `${where}: batch of ${length} bytes exceeds max ${limits.maxMessageBytes} bytes`);
  }
  if (buf.length - BATCH_FILE_HEADER_BYTES !== length) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: header says ${length} bytes of batch, the file holds ${buf.length - BATCH_FILE_HEADER_BYTES}`);
  }
  try {
    return pb.Batch.decode(buf.subarray(BATCH_FILE_HEADER_BYTES));
  } catch (err: unknown) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: batch does not decode: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** `<agent>-<first result id>-<last result id>.outpost-batch`; a batch of gap records only is `<agent>-gaps-<from>-<to>…`. */
export function batchFileName(agent: string, firstId: number, lastId: number, gapsOnly = false): string {
  return `${agent}-${gapsOnly ? 'gaps-' : ''}${firstId}-${lastId}${BATCH_FILE_SUFFIX}`;
}

/** One batch file as the manifest lists it. */
export interface ManifestFile {
  name: string;
  /** Hex SHA-256 of the whole file. */
  sha256: string;
  bytes: number;
  batchSeq: number;
  /** 0 in a file of gap records only. */
  firstResultId: number;
  lastResultId: number;
  results: number;
  gaps: number;
}

/** `manifest.json` of an export directory, signed by the agent key. */
export interface ExportManifest {
  format: typeof EXPORT_MANIFEST_FORMAT;
  exportId: string;
  agent: string;
  /** `ed25519:…`, the key every batch is signed with. */
  agentKey: string;
  createdMs: number;
  software: string;
  files: ManifestFile[];
  /** base64url Ed25519 signature over `EXPORT_MANIFEST_DOMAIN ‖ canonicalJson(manifest without signature)`. */
  signature: string;
}

/** The collector's answer to an import, per file. */
export interface ReceiptFile {
  name: string;
  /** `imported`: every result of the file is at the collector now (new or duplicate). */
  status: 'imported' | 'rejected';
  reason?: string;
  stored: number;
  duplicates: number;
  /** Result ids the collector holds from this file, as inclusive [from, to] ranges. */
  resultRanges: [number, number][];
  /** Gap records the collector holds from this file, as [fromResultId, toResultId]. */
  gaps: [number, number][];
}

/** `receipt.json`, signed by the collector key: what the agent may delete. */
export interface ImportReceipt {
  format: typeof IMPORT_RECEIPT_FORMAT;
  exportId: string;
  agent: string;
  agentKey: string;
  collectorKey: string;
  importedMs: number;
  files: ReceiptFile[];
  signature: string;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the exact bytes a manifest
 * or receipt signature covers, independent of how a file was pretty-printed.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function unsignedBytes(doc: object): Uint8Array {
  const { signature: _signature, ...rest } = doc as { signature?: unknown };
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/**
 * Sign a manifest or receipt under its domain.
 *
 * @example
 * const manifest = signDocument(keyPair.secretKey, EXPORT_MANIFEST_DOMAIN, { format: EXPORT_MANIFEST_FORMAT, ...fields });
 */
export function signDocument<T extends { signature: string }>(secretKey: Uint8Array, domain: string, doc: Omit<T, 'signature'>): T {
  const signature = Buffer.from(sign(secretKey, domain, [unsignedBytes(doc)])).toString('base64url');
  return { ...doc, signature } as T;
}

/** True when `doc.signature` is `key`'s signature over the document's canonical bytes under `domain`. */
export function verifyDocument<T extends { signature: string }>(doc: T, domain: string, key: PublicKey): boolean {
  if (!/^[A-Za-z0-9_-]{86}$/.test(doc.signature)) return false;
  return key.verify(domain, [unsignedBytes(doc)], Buffer.from(doc.signature, 'base64url'));
}

type Check = (ok: boolean, what: string) => void;

function checker(where: string): Check {
  return (ok, what) => {
    if (!ok) throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: ${what}`);
  };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
// A plain file name: no directory part, so a manifest can never point outside its directory.
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.outpost-batch$/;
const KEY_TEXT = /^ed25519:[A-Za-z0-9_-]{43}$/;

function parseJsonObject(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err: unknown) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OutpostError(ErrorCode.BAD_FRAME, `${where}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** Parse and validate `manifest.json` (shape only: verify with `verifyDocument`). */
export function parseManifest(text: string, where: string): ExportManifest {
  const doc = parseJsonObject(text, where);
  const check = checker(where);
  check(doc['format'] === EXPORT_MANIFEST_FORMAT, `format is ${JSON.stringify(doc['format'])}, expected "${EXPORT_MANIFEST_FORMAT}"`);
  check(isText(doc['exportId'], 64) && isText(doc['agent'], 64) && isText(doc['software'], 128), 'exportId, agent or software missing or too long');
  check(typeof doc['agentKey'] === 'string' && KEY_TEXT.test(doc['agentKey']), 'agentKey is not an "ed25519:" key');
  check(isCount(doc['createdMs']) && typeof doc['signature'] === 'string', 'createdMs or signature missing');
  check(Array.isArray(doc['files']), 'files is not a list');
  const names = new Set<string>();
  for (const [i, f] of (doc['files'] as unknown[]).entries()) {
    const file = (f ?? {}) as Record<string, unknown>;
    check(typeof file['name'] === 'string' && FILE_NAME.test(file['name']), `files[${i}].name is not a plain *.outpost-batch file name`);
    check(!names.has(file['name'] as string), `files[${i}].name ${String(file['name'])} is listed twice`);
    names.add(file['name'] as string);
    check(typeof file['sha256'] === 'string' && /^[0-9a-f]{64}$/.test(file['sha256']), `files[${i}].sha256 is not 64 hex digits`);
    const counts = ['bytes', 'batchSeq', 'firstResultId', 'lastResultId', 'results', 'gaps'].every((k) => isCount(file[k]));
    check(counts, `files[${i}] has a count or id that is not a non-negative integer`);
  }
  return doc as unknown as ExportManifest;
}

const isRanges = (v: unknown): boolean =>
  Array.isArray(v) && v.every((r) => Array.isArray(r) && r.length === 2 && isCount(r[0]) && isCount(r[1]) && (r[0] as number) <= (r[1] as number));

/** Parse and validate `receipt.json` (shape only: verify with `verifyDocument`). */
export function parseReceipt(text: string, where: string): ImportReceipt {
  const doc = parseJsonObject(text, where);
  const check = checker(where);
  check(doc['format'] === IMPORT_RECEIPT_FORMAT, `format is ${JSON.stringify(doc['format'])}, expected "${IMPORT_RECEIPT_FORMAT}"`);
  check(isText(doc['exportId'], 64) && isText(doc['agent'], 64), 'exportId or agent missing or too long');
  check(typeof doc['agentKey'] === 'string' && KEY_TEXT.test(doc['agentKey']), 'agentKey is not an "ed25519:" key');
  check(typeof doc['collectorKey'] === 'string' && KEY_TEXT.test(doc['collectorKey']), 'collectorKey is not an "ed25519:" key');
  check(isCount(doc['importedMs']) && typeof doc['signature'] === 'string', 'importedMs or signature missing');
  check(Array.isArray(doc['files']), 'files is not a list');
  for (const [i, f] of (doc['files'] as unknown[]).entries()) {
    const file = (f ?? {}) as Record<string, unknown>;
    check(typeof file['name'] === 'string' && (file['status'] === 'imported' || file['status'] === 'rejected'), `files[${i}] has no name or status`);
    check(isCount(file['stored']) && isCount(file['duplicates']), `files[${i}] stored or duplicates is not a count`);
    check(isRanges(file['resultRanges']) && isRanges(file['gaps']), `files[${i}] has malformed ranges`);
  }
  return doc as unknown as ImportReceipt;
}

/** Sorted ids → inclusive [from, to] runs: [1,2,3,7,8] → [[1,3],[7,8]]. */
export function idRanges(ids: readonly number[]): [number, number][] {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last && id <= last[1] + 1) last[1] = Math.max(last[1], id);
    else out.push([id, id]);
  }
  return out;
}
