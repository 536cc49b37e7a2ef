import { existsSync } from 'node:fs';
import {
  encodeKey,
  ErrorCode,
  IMPORT_RECEIPT_DOMAIN,
  OutpostError,
  parseReceipt,
  PublicKey,
  verifyDocument,
  type ImportReceipt,
} from '@outpost/protocol';
import { readMediaFile } from '@outpost/protocol/media-file';
import { outboxPath } from './agent.js';
import type { AgentConfig } from './config.js';
import { loadKeyFile } from './key-file.js';
import { Outbox } from './outbox.js';

/** A receipt lists ranges per file; a few MiB covers millions of files. */
const MAX_RECEIPT_BYTES = 64 * 1024 * 1024;

export interface ApplyReceiptOptions {
  config: Pick<AgentConfig, 'name' | 'keyFile' | 'dataDir' | 'collector'>;
  receiptFile: string;
}

export interface ApplyReceiptOutcome {
  exportId: string;
  /** Files the collector holds (new or duplicate), whose rows were deleted here. */
  filesImported: number;
  /** Files the collector refused: their rows stay and go out again (live, or with `export --again`). */
  filesRejected: number;
  resultsRemoved: number;
  gapsRemoved: number;
}

/** The collector keys this agent trusts: the configured one and any it accepted through an endorsement. */
function trustedCollectorKeys(config: ApplyReceiptOptions['config'], outbox: Outbox): PublicKey[] {
  const endorsed = (outbox.getMeta('collector_keys') ?? '').split(',').filter(Boolean);
  return [config.collector.key, ...endorsed.map((key) => PublicKey.parse(key, 'endorsed collector key'))];
}

/** This agent's own keys: the current one, and the one before a rotation (exports made before it). */
function ownKeys(keyFile: string): string[] {
  const keys = [encodeKey(loadKeyFile(keyFile).publicKey)];
  if (existsSync(`${keyFile}.old`)) keys.push(encodeKey(loadKeyFile(`${keyFile}.old`).publicKey));
  return keys;
}

/** Read and check a receipt: the pinned collector's signature, addressed to this agent. */
export function readReceipt(options: ApplyReceiptOptions, outbox: Outbox): ImportReceipt {
  const { config, receiptFile } = options;
  const bytes = readMediaFile(receiptFile, MAX_RECEIPT_BYTES);
  if (!bytes) throw new OutpostError(ErrorCode.CONFIG, `${receiptFile}: no such file`);
  const receipt = parseReceipt(bytes.toString('utf8'), receiptFile);
  const signer = trustedCollectorKeys(config, outbox).find((key) => String(key) === receipt.collectorKey);
  if (!signer) {
    throw new OutpostError(ErrorCode.COLLECTOR_KEY, `${receiptFile}: signed for collector key ${receipt.collectorKey}, this agent trusts ${config.collector.key}`);
  }
  if (!verifyDocument(receipt, IMPORT_RECEIPT_DOMAIN, signer)) {
    throw new OutpostError(ErrorCode.BAD_SIGNATURE, `${receiptFile}: signature does not verify against collector key ${receipt.collectorKey}`);
  }
  if (receipt.agent !== config.name || !ownKeys(config.keyFile).includes(receipt.agentKey)) {
    throw new OutpostError(ErrorCode.WRONG_AGENT, `${receiptFile}: is for agent "${receipt.agent}" (${receipt.agentKey}), not this agent "${config.name}"`);
  }
  return receipt;
}

/**
 * Apply the collector's signed import receipt: delete the outbox rows and gap records it
 * says the collector holds. Idempotent (rows already gone are skipped) and safe while the
 * agent runs (each range is one DELETE; the running agent recounts its outbox when another
 * process changed it).
 *
 * @example
 * const outcome = applyReceipt({ config: loadAgentConfig('agent.yaml'), receiptFile: '/media/usb/outpost/receipt.json' });
 */
export function applyReceipt(options: ApplyReceiptOptions): ApplyReceiptOutcome {
  const outbox = Outbox.open(outboxPath(options.config));
  try {
    const receipt = readReceipt(options, outbox);
    const imported = receipt.files.filter((f) => f.status === 'imported');
    let resultsRemoved = 0;
    for (const file of imported) for (const [from, to] of file.resultRanges) resultsRemoved += outbox.remove(from, to);
    const held = new Set(imported.flatMap((f) => f.gaps.map(([from, to]) => `${from}-${to}`)));
    const gaps = held.size === 0 ? [] : outbox.pendingGaps(Number.MAX_SAFE_INTEGER).filter((g) => held.has(`${Number(g.gap.fromResultId)}-${Number(g.gap.toResultId)}`));
    if (gaps.length > 0) outbox.removeGaps(gaps);
    return { exportId: receipt.exportId, filesImported: imported.length, filesRejected: receipt.files.length - imported.length, resultsRemoved, gapsRemoved: gaps.length };
  } finally {
    outbox.close();
  }
}
