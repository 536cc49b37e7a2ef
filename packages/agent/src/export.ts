import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  batchFileName,
  BATCH_FILE_HEADER_BYTES,
  BATCH_FILE_SUFFIX,
  DEFAULT_LIMITS,
  encodeBatchBody,
  encodeBatchFile,
  encodeKey,
  ErrorCode,
  EXPORT_MANIFEST_DOMAIN,
  EXPORT_MANIFEST_FORMAT,
  OutpostError,
  pb,
  signBatch,
  signDocument,
  type ExportManifest,
  type GapInit,
  type ManifestFile,
} from '@outpost/protocol';
import { writeMediaFile } from '@outpost/protocol/media-file';
import { outboxPath } from './agent.js';
import type { AgentConfig } from './config.js';
import { loadKeyFile } from './key-file.js';
import { Outbox, type StoredGap } from './outbox.js';
import { SOFTWARE } from './version.js';

export const MANIFEST_FILE = 'manifest.json';

/** Gap records per batch at most (as on the live link), and all of them read at once at most. */
const GAPS_PER_BATCH = 64;
const MAX_EXPORT_GAPS = 100_000;
/** Room in a batch for its header fields, the signature and the Batch's own tags. */
const BATCH_OVERHEAD_BYTES = 1_024;

export interface ExportProgress {
  files: number;
  results: number;
  /** Results waiting when the export began. */
  total: number;
}

export interface ExportOptions {
  config: Pick<AgentConfig, 'name' | 'keyFile' | 'dataDir'>;
  outDir: string;
  /** Export rows an earlier export wrote already (they are still in the outbox). */
  again?: boolean;
  /** Largest Batch in a file; the wire's largest message, so a file holds nothing a live link would refuse. */
  maxMessageBytes?: number;
  maxBatchResults?: number;
  now?: () => number;
  onProgress?: (progress: ExportProgress) => void;
  /** Checked between files: an aborted export writes no manifest and marks nothing. */
  signal?: AbortSignal;
}

export interface ExportSummary {
  exportId: string;
  dir: string;
  files: ManifestFile[];
  results: number;
  gaps: number;
  /** Result ids above `fromId` up to `throughId` were exported. */
  fromId: number;
  throughId: number;
}

function prepareDir(dir: string): void {
  if (existsSync(dir)) {
    const taken = readdirSync(dir).filter((name) => name === MANIFEST_FILE || name.endsWith(BATCH_FILE_SUFFIX));
    if (taken.length > 0) {
      throw new OutpostError(ErrorCode.CONFIG, `${dir}: already holds an export (${taken[0]}); give an empty or new directory`);
    }
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/** Gap records for the next batch: up to 64, and no more bytes than `maxBytes`. */
function takeGaps(gaps: StoredGap[], maxBytes: number): { taken: StoredGap[]; bytes: number } {
  const taken: StoredGap[] = [];
  let bytes = 0;
  while (gaps.length > 0 && taken.length < GAPS_PER_BATCH) {
    const size = pb.Gap.encode(gaps[0]!.gap).finish().length + 6;
    if (taken.length > 0 && bytes + size > maxBytes) break;
    bytes += size;
    taken.push(gaps.shift()!);
  }
  return { taken, bytes };
}

/**
 * Write the outbox's unsent results (and gap records) as signed batch files with a signed
 * `manifest.json`, then mark them exported. Nothing is deleted: rows leave the outbox when
 * a live link acknowledges them or `outpost-agent apply-receipt` applies the collector's
 * receipt. Safe while the agent runs: it only reads rows and adds the marking in one
 * transaction. Returns undefined when there is nothing to export.
 *
 * @example
 * const summary = exportOutbox({ config: loadAgentConfig('agent.yaml'), outDir: '/media/usb/outpost' });
 */
export function exportOutbox(options: ExportOptions): ExportSummary | undefined {
  const { config } = options;
  const now = options.now ?? Date.now;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
  const maxBatchResults = options.maxBatchResults ?? DEFAULT_LIMITS.maxBatchResults;
  const keyPair = loadKeyFile(config.keyFile);
  if (!existsSync(outboxPath(config))) return undefined;
  const outbox = Outbox.open(outboxPath(config));
  try {
    const fromId = options.again ? 0 : outbox.exportedThroughId();
    const gapsFrom = options.again ? 0 : outbox.exportedGapsThroughId();
    const gaps = outbox.pendingGaps(MAX_EXPORT_GAPS).filter((g) => g.gapId > gapsFrom);
    const total = outbox.countAfter(fromId);
    if (total === 0 && gaps.length === 0) return undefined;

    const dir = resolve(options.outDir);
    prepareDir(dir);
    const createdMs = now();
    const exportId = `${new Date(createdMs).toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(4).toString('hex')}`;
    const clockOffsetMs = Number(outbox.getMeta('clock_offset_ms') ?? 0);
    const files: ManifestFile[] = [];
    let cursor = fromId;
    let results = 0;
    let gapsThroughId = gapsFrom;
    for (;;) {
      if (options.signal?.aborted) throw new OutpostError(ErrorCode.INTERNAL, `export to ${dir} aborted after ${files.length} files; nothing marked exported`);
      const { taken, bytes: gapBytes } = takeGaps(gaps, maxMessageBytes / 4);
      const rows = outbox.readAfter(cursor, maxBatchResults, maxMessageBytes - BATCH_OVERHEAD_BYTES - gapBytes);
      if (rows.length === 0 && taken.length === 0) break;
      // A sequence number of its own; the collector keeps batch_seq as a label, so one that a
      // running agent's uplink also uses does no harm.
      const batchSeq = Number(outbox.getMeta('batch_seq') ?? 0) + 1;
      outbox.setMeta('batch_seq', String(batchSeq));
      const gapInits = taken.map((g): GapInit => g.gap);
      const payload = encodeBatchBody({ agentKey: keyPair.publicKey, batchSeq, createdMs, clockOffsetMs }, rows.map((r) => r.body), gapInits);
      const bytes = encodeBatchFile(signBatch(keyPair.secretKey, payload));
      if (bytes.length - BATCH_FILE_HEADER_BYTES > maxMessageBytes) {
        throw new OutpostError(ErrorCode.INTERNAL, `batch ${batchSeq} came to ${bytes.length} bytes, over max ${maxMessageBytes}`);
      }
      const first = rows[0]?.resultId ?? 0;
      const last = rows[rows.length - 1]?.resultId ?? 0;
      const name = rows.length > 0
        ? batchFileName(config.name, first, last)
        : batchFileName(config.name, Number(gapInits[0]!.fromResultId), Number(gapInits[gapInits.length - 1]!.toResultId), true);
      writeMediaFile(join(dir, name), bytes, 0o600);
      files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, batchSeq, firstResultId: first, lastResultId: last, results: rows.length, gaps: taken.length });
      if (rows.length > 0) cursor = last;
      results += rows.length;
      for (const g of taken) gapsThroughId = Math.max(gapsThroughId, g.gapId);
      options.onProgress?.({ files: files.length, results, total });
    }

    const manifest = signDocument<ExportManifest>(keyPair.secretKey, EXPORT_MANIFEST_DOMAIN, {
      format: EXPORT_MANIFEST_FORMAT,
      exportId,
      agent: config.name,
      agentKey: encodeKey(keyPair.publicKey),
      createdMs,
      software: SOFTWARE,
      files,
    });
    // The manifest goes last: a directory without one is an export that did not finish.
    writeMediaFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    syncDir(dir);
    outbox.markExported({ exportId, createdMs, dir, fromId, throughId: cursor, gapsThroughId, results, files: files.length });
    return { exportId, dir, files, results, gaps: files.reduce((sum, f) => sum + f.gaps, 0), fromId, throughId: cursor };
  } finally {
    outbox.close();
  }
}

/** fsync the directory, so the renames themselves survive a power cut before the media is pulled. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
