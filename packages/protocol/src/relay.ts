import { ErrorCode, OutpostError } from './errors.js';
import { pb, type Batch } from './frames.js';
import { PUBLIC_KEY_BYTES } from './keys.js';

/** Relays one batch may pass on its way to the collector (one per nested wall). */
export const MAX_RELAY_HOPS = 8;

/** What a relay needs to key a batch it carries: read from the payload, not verified. */
export interface RelayedBatchHeader {
  agentKey: Uint8Array;
  batchSeq: number;
}

/**
 * Read the agent key and batch_seq of a signed batch without verifying it, for a relay that
 * stores and forwards it. The bytes are decoded, never re-encoded: the signature stays
 * valid. The collector verifies the signature later, against the key it has enrolled.
 *
 * @example
 * const { agentKey, batchSeq } = readRelayedBatchHeader(frame.body.batch);
 */
export function readRelayedBatchHeader(batch: Batch | null | undefined): RelayedBatchHeader {
  if (!batch || batch.payload.length === 0) throw new OutpostError(ErrorCode.BAD_FRAME, 'relayed batch carries no batch');
  let body: { agentKey: Uint8Array; batchSeq: number };
  try {
    body = pb.BatchBody.decode(batch.payload);
  } catch (err: unknown) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `relayed batch payload does not decode: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (body.agentKey.length !== PUBLIC_KEY_BYTES || !Number.isSafeInteger(body.batchSeq) || body.batchSeq < 0) {
    throw new OutpostError(ErrorCode.BAD_FRAME, 'relayed batch has no agent key or a batch_seq out of range');
  }
  return { agentKey: Uint8Array.from(body.agentKey), batchSeq: body.batchSeq };
}

/**
 * Check the relay path a frame arrived with on the session of relay `sessionName`: 1 to
 * MAX_RELAY_HOPS names of at most `maxNameLength` characters, the last being the relay
 * that delivered it (a relay can only speak for its own hop). Returns a copy.
 */
export function checkRelayPath(path: readonly string[], sessionName: string, maxNameLength = 128): string[] {
  if (path.length === 0 || path.length > MAX_RELAY_HOPS) {
    throw new OutpostError(ErrorCode.LIMIT, `relay path of ${path.length} hops, expected 1..${MAX_RELAY_HOPS}`);
  }
  if (path.some((name) => name.length === 0 || name.length > maxNameLength)) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `relay path has a name outside 1..${maxNameLength} characters`);
  }
  if (path[path.length - 1] !== sessionName) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `relay path ends at "${path[path.length - 1]}", but "${sessionName}" delivered it`);
  }
  return [...path];
}
