import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BATCH_FILE_HEADER_BYTES,
  BATCH_FILE_SUFFIX,
  decodeBatchFile,
  DEFAULT_LIMITS,
  ErrorCode,
  EXPORT_MANIFEST_DOMAIN,
  idRanges,
  IMPORT_RECEIPT_DOMAIN,
  IMPORT_RECEIPT_FORMAT,
  isOutpostError,
  openBatch,
  OutpostError,
  parseManifest,
  PublicKey,
  signDocument,
  verifyDocument,
  type ErrorCodeValue,
  type ExportManifest,
  type ImportReceipt,
  type KeyPair,
  type ManifestFile,
  type OpenedBatch,
  type ProtocolLimits,
  type ReceiptFile,
} from '@outpost/protocol';
import { readMediaFile, writeMediaFile } from '@outpost/protocol/media-file';
import { MAX_PENDING_AGENTS } from './enrollment.js';
import type { AgentRecord, CollectorStore } from './store.js';

export const MANIFEST_FILE = 'manifest.json';
export const RECEIPT_FILE = 'receipt.json';
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Verified batches held for one commit at most (as a live session shares one commit per turn). */
const BATCHES_PER_COMMIT = 16;

/** What became of one file. `rejected` counts the results a refused file carried. */
export interface FileOutcome extends ReceiptFile {
  rejected: number;
}

export interface ImportReport {
  dir: string;
  agent: string | undefined;
  exportId: string | undefined;
  /** Why the whole directory was refused (bad manifest, agent not active); its files are all rejected then. */
  refused: { code: string; message: string } | undefined;
  files: FileOutcome[];
  total: { new: number; duplicate: number; rejected: number; rejectedFiles: number };
  /** Where the signed receipt went; undefined when none was written. */
  receiptFile: string | undefined;
  receiptError: string | undefined;
}

export interface ImportOptions {
  store: CollectorStore;
  /** The collector's key: signs the receipt. */
  keyPair: KeyPair;
  collectorKey: string;
  dir: string;
  /** Default `DIR/receipt.json`. */
  receiptFile?: string;
  limits?: ProtocolLimits;
  now?: () => number;
  /** Checked between files: what was committed stays (a later import counts it as duplicates). */
  signal?: AbortSignal;
}

function rejectedFile(name: string, reason: string, results = 0): FileOutcome {
  return { name, status: 'rejected', reason, stored: 0, duplicates: 0, rejected: results, resultRanges: [], gaps: [] };
}

function reasonOf(err: unknown): string {
  return isOutpostError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

/** The agent the manifest speaks for, if it may deliver: enrolled and active, under its key or the one before a rotation. */
async function admitExport(store: CollectorStore, manifest: ExportManifest, key: PublicKey, now: number): Promise<AgentRecord | { code: ErrorCodeValue; message: string }> {
  const name = manifest.agent;
  let agent = await store.findAgentByName(name);
  if (agent && !key.equals(agent.publicKey) && (await store.findAgentByPreviousKey(key.raw))?.id !== agent.id) {
    return { code: ErrorCode.NAME_TAKEN, message: `agent name "${name}" is enrolled with another key than ${key}` };
  }
  if (!agent) {
    const holder = await store.findAgentByKey(key.raw);
    if (holder) return { code: ErrorCode.NAME_TAKEN, message: `key ${key} is enrolled as "${holder.name}", not "${name}"` };
    // The signed manifest proves possession of the key, like a Hello: an air-gapped agent
    // is enrolled by approving it here, then importing again.
    const created = await store.createPendingAgent(name, key.raw, now, MAX_PENDING_AGENTS);
    if (created === 'limit') return { code: ErrorCode.LIMIT, message: `${MAX_PENDING_AGENTS} agents already wait for approval` };
    agent = await store.findAgentByName(name);
  }
  if (agent?.status === 'revoked') return { code: ErrorCode.REVOKED, message: `agent "${name}" is revoked` };
  if (agent?.status !== 'active') {
    return { code: ErrorCode.PENDING_APPROVAL, message: `agent "${name}" waits for approval (outpost-collector agents approve ${name} --key ${String(key).slice(0, 20)}), then import again` };
  }
  return agent;
}

/** Check one listed file and open its batch; a string is the reason it is refused. */
function openFile(dir: string, entry: ManifestFile, key: PublicKey, limits: ProtocolLimits): OpenedBatch | string {
  let bytes: Buffer | undefined;
  try {
    bytes = readMediaFile(join(dir, entry.name), BATCH_FILE_HEADER_BYTES + limits.maxMessageBytes);
  } catch (err: unknown) {
    return reasonOf(err);
  }
  if (!bytes) return 'missing: listed in manifest.json but not in the directory';
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== entry.sha256) return `sha256 ${sha256} does not match manifest.json's ${entry.sha256}: changed or damaged`;
  let body: OpenedBatch;
  try {
    body = openBatch(decodeBatchFile(bytes, entry.name, limits), key, limits);
  } catch (err: unknown) {
    return reasonOf(err);
  }
  const first = body.results[0]?.resultId ?? 0;
  const last = body.results[body.results.length - 1]?.resultId ?? 0;
  if (body.results.length !== entry.results || body.gaps.length !== entry.gaps || first !== entry.firstResultId || last !== entry.lastResultId) {
    return 'its batch does not match its manifest.json entry (results, ids or gaps)';
  }
  return body;
}

/**
 * Verify and ingest an export directory written by `outpost-agent export`: the manifest's
 * signature, every file's SHA-256 and batch signature, then the store's own idempotent
 * ingest in file order, so (agent, result_id) keeps it exactly once however often the
 * directory is imported. A bad file is rejected with its name and reason; the others are
 * still imported. Writes a receipt signed by the collector key for `apply-receipt`.
 *
 * @example
 * const report = await importExport({ store, keyPair: id.keyPair, collectorKey: id.publicKey, dir: '/media/usb/outpost' });
 * process.exit(report.total.rejectedFiles === 0 ? 0 : 1);
 */
export async function importExport(options: ImportOptions): Promise<ImportReport> {
  const { store, dir } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const now = options.now ?? Date.now;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OutpostError(ErrorCode.CONFIG, `${dir}: not a directory`);
  const present = readdirSync(dir).filter((name) => name.endsWith(BATCH_FILE_SUFFIX)).sort();
  const report: ImportReport = {
    dir, agent: undefined, exportId: undefined, refused: undefined, files: [],
    total: { new: 0, duplicate: 0, rejected: 0, rejectedFiles: 0 }, receiptFile: undefined, receiptError: undefined,
  };
  const refuse = (code: string, message: string, listed: readonly ManifestFile[] = []): ImportReport => {
    report.refused = { code, message };
    const counts = new Map(listed.map((f) => [f.name, f.results]));
    for (const name of new Set([...listed.map((f) => f.name), ...present])) report.files.push(rejectedFile(name, `${code}: ${message}`, counts.get(name) ?? 0));
    return finish(report);
  };

  let manifest: ExportManifest;
  let key: PublicKey;
  try {
    const text = readMediaFile(join(dir, MANIFEST_FILE), MAX_MANIFEST_BYTES)?.toString('utf8');
    if (text === undefined) return refuse(ErrorCode.BAD_FRAME, `no ${MANIFEST_FILE}: not an export directory, or the export did not finish`);
    manifest = parseManifest(text, MANIFEST_FILE);
    key = PublicKey.parse(manifest.agentKey, `${MANIFEST_FILE}: agentKey`);
  } catch (err: unknown) {
    return refuse(isOutpostError(err) ? err.code : ErrorCode.BAD_FRAME, isOutpostError(err) ? err.message : reasonOf(err));
  }
  report.agent = manifest.agent;
  report.exportId = manifest.exportId;
  if (!verifyDocument(manifest, EXPORT_MANIFEST_DOMAIN, key)) {
    return refuse(ErrorCode.BAD_SIGNATURE, `${MANIFEST_FILE} is not signed by the agent key it names (${manifest.agentKey}): changed or damaged`, manifest.files);
  }
  const agent = await admitExport(store, manifest, key, now());
  if (!('id' in agent)) return refuse(agent.code, agent.message, manifest.files);

  const outcomes = new Map<string, FileOutcome>();
  let pending: { entry: ManifestFile; body: OpenedBatch }[] = [];
  const commit = async () => {
    if (pending.length === 0) return;
    // Media say nothing about whether the agent is alive now: an import is not hearing from it.
    const ingested = await store.ingestBatches(agent.id, pending.map((p) => p.body), now(), { heard: false });
    pending.forEach(({ entry, body }, i) => {
      const gaps = body.gaps.map((g): [number, number] => [g.fromResultId, g.toResultId]);
      const resultRanges = idRanges(body.results.map((r) => r.resultId));
      outcomes.set(entry.name, { name: entry.name, status: 'imported', stored: ingested[i]!.stored, duplicates: ingested[i]!.duplicates, rejected: 0, resultRanges, gaps });
    });
    pending = [];
  };
  for (const entry of manifest.files) {
    options.signal?.throwIfAborted();
    const opened = openFile(dir, entry, key, limits);
    if (typeof opened === 'string') outcomes.set(entry.name, rejectedFile(entry.name, opened, entry.results));
    else pending.push({ entry, body: opened });
    if (pending.length >= BATCHES_PER_COMMIT) await commit();
  }
  await commit();
  report.files = manifest.files.map((entry) => outcomes.get(entry.name)!);
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of present) if (!listed.has(name)) report.files.push(rejectedFile(name, `not listed in ${MANIFEST_FILE}: added or renamed after the export`));

  const receipt = signDocument<ImportReceipt>(options.keyPair.secretKey, IMPORT_RECEIPT_DOMAIN, {
    format: IMPORT_RECEIPT_FORMAT,
    exportId: manifest.exportId,
    agent: manifest.agent,
    agentKey: manifest.agentKey,
    collectorKey: options.collectorKey,
    importedMs: now(),
    files: report.files.map(({ rejected: _rejected, reason, ...file }) => ({ ...file, ...(reason ? { reason } : {}) })),
  });
  const receiptFile = options.receiptFile ?? join(dir, RECEIPT_FILE);
  try {
    writeMediaFile(receiptFile, `${JSON.stringify(receipt, null, 2)}\n`, 0o644);
    report.receiptFile = receiptFile;
  } catch (err: unknown) {
    // Read-only media: the import stands; the receipt can be written elsewhere with --receipt.
    report.receiptError = `${receiptFile}: ${reasonOf(err)}`;
  }
  return finish(report);
}

function finish(report: ImportReport): ImportReport {
  for (const f of report.files) {
    report.total.new += f.stored;
    report.total.duplicate += f.duplicates;
    report.total.rejected += f.rejected;
    if (f.status === 'rejected') report.total.rejectedFiles += 1;
  }
  return report;
}

/** The text `outpost-collector import` prints: one line per file, then the total. */
export function formatImportReport(report: ImportReport): string {
  const width = Math.max(24, ...report.files.map((f) => f.name.length));
  const lines = report.refused ? [`refused: ${report.refused.code}: ${report.refused.message}`] : [];
  for (const f of report.files) {
    const counts = `new ${f.stored}, duplicate ${f.duplicates}, rejected ${f.rejected}`;
    lines.push(`${f.name.padEnd(width)}  ${counts}${f.status === 'rejected' ? `  REJECTED: ${f.reason ?? ''}` : ''}`);
  }
  const t = report.total;
  lines.push(`total${report.agent ? ` (${report.agent})` : ''}: new ${t.new}, duplicate ${t.duplicate}, rejected ${t.rejected} (${t.rejectedFiles} files rejected)`);
  if (report.receiptFile) lines.push(`receipt: ${report.receiptFile} (outpost-agent apply-receipt --config FILE ${report.receiptFile})`);
  if (report.receiptError) lines.push(`receipt NOT written: ${report.receiptError}`);
  return `${lines.join('\n')}\n`;
}
