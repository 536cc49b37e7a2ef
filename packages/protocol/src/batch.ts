import protobuf from 'protobufjs/minimal.js';
import { ErrorCode, OutpostError } from './errors.js';
import { pb, Status, type Batch, type BatchBody, type BatchInit, type Gap, type GapInit, type Result, type ResultInit } from './frames.js';
import { sign, type PublicKey } from './keys.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.js';

export const BATCH_DOMAIN = 'outpost/batch/v1';

/** A verified, decoded batch: nested messages carry their proto3 defaults. */
export type OpenedBatch = Omit<BatchBody, 'results' | 'gaps'> & { results: Result[]; gaps: Gap[] };

// BatchBody field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_AGENT_KEY = (1 << 3) | 2;
const TAG_BATCH_SEQ = (2 << 3) | 0;
const TAG_RESULT = (3 << 3) | 2;
const TAG_GAP = (4 << 3) | 2;
const TAG_CREATED = (5 << 3) | 0;
const TAG_CLOCK_OFFSET = (6 << 3) | 0;

/** Encode one result once, when it is made; the outbox keeps these bytes. */
export function encodeResult(result: ResultInit): Uint8Array {
  return pb.Result.encode(result).finish();
}

export interface BatchHeader {
  agentKey: Uint8Array;
  batchSeq: number;
  createdMs: number;
  /** Collector clock minus agent clock at the last handshake. */
  clockOffsetMs: number;
}

/**
 * Build the BatchBody bytes from results already encoded by `encodeResult`. An embedded
 * message is its tag, its length and its bytes, so stored results are copied, not re-encoded.
 */
export function encodeBatchBody(header: BatchHeader, encodedResults: readonly Uint8Array[], gaps: readonly GapInit[] = []): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32(TAG_AGENT_KEY).bytes(header.agentKey);
  writer.uint32(TAG_BATCH_SEQ).uint64(header.batchSeq);
  for (const result of encodedResults) writer.uint32(TAG_RESULT).bytes(result);
  for (const gap of gaps) pb.Gap.encode(gap, writer.uint32(TAG_GAP).fork()).ldelim();
  writer.uint32(TAG_CREATED).uint64(header.createdMs);
  writer.uint32(TAG_CLOCK_OFFSET).sint64(header.clockOffsetMs);
  return writer.finish();
}

/** Sign a BatchBody's exact bytes with the agent's secret key. */
export function signBatch(secretKey: Uint8Array, payload: Uint8Array): BatchInit {
  return { payload, signature: sign(secretKey, BATCH_DOMAIN, [payload]) };
}

/**
 * Verify, then decode, then validate a batch received on an authenticated session. The
 * signature is checked over the exact payload bytes before a single field is parsed.
 * Throws OUTPOST_ERR_BAD_SIGNATURE, OUTPOST_ERR_WRONG_AGENT, OUTPOST_ERR_BAD_FRAME or
 * OUTPOST_ERR_LIMIT; nothing in a rejected batch may be stored.
 */
export function openBatch(
  batch: Batch,
  agentKey: PublicKey,
  limits: Pick<ProtocolLimits, 'maxBatchResults' | 'maxNameLength' | 'maxMessageLength' | 'maxTranscriptBytes'> = DEFAULT_LIMITS,
): OpenedBatch {
  if (!agentKey.verify(BATCH_DOMAIN, [batch.payload], batch.signature)) {
    throw new OutpostError(ErrorCode.BAD_SIGNATURE, `batch of ${batch.payload.length} bytes is not signed by agent key ${agentKey}`);
  }
  let body: OpenedBatch;
  try {
    body = pb.BatchBody.decode(batch.payload) as unknown as OpenedBatch;
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new OutpostError(ErrorCode.BAD_FRAME, `signed batch payload does not decode: ${reason}`, { cause: err });
  }
  if (!agentKey.equals(body.agentKey)) {
    throw new OutpostError(ErrorCode.WRONG_AGENT, `batch ${body.batchSeq} names another agent's key than the session's ${agentKey}`);
  }
  validateBody(body, limits);
  return body;
}

/** Largest millisecond time JavaScript's Date can represent (±100,000,000 days). */
export const MAX_TIME_MS = 8.64e15;

/** A Unix time in ms that every consumer can turn into a date. */
export function isValidTimeMs(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS;
}

function validateBody(
  body: OpenedBatch,
  limits: Pick<ProtocolLimits, 'maxBatchResults' | 'maxNameLength' | 'maxMessageLength' | 'maxTranscriptBytes'>,
): void {
  const where = `batch ${body.batchSeq}`;
  if (!Number.isSafeInteger(body.batchSeq) || !isValidTimeMs(body.createdMs) || !Number.isSafeInteger(body.clockOffsetMs)) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${where} has a sequence number, creation time or clock offset out of range`);
  }
  if (body.results.length > limits.maxBatchResults) {
    throw new OutpostError(ErrorCode.LIMIT, `${where} has ${body.results.length} results, max ${limits.maxBatchResults}`);
  }
  for (const r of body.results) {
    const id = `${where} result ${r.resultId}`;
    if (!Number.isSafeInteger(r.resultId) || r.resultId < 1) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${where} has result id ${r.resultId}, expected a positive integer`);
    }
    if (r.checkId.length === 0 || r.checkId.length > limits.maxNameLength) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${id} has a check id of ${r.checkId.length} characters, expected 1..${limits.maxNameLength}`);
    }
    if (!isValidTimeMs(r.startedAtMs)) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${id} has a start time of ${r.startedAtMs} ms, out of range`);
    }
    if (r.status < Status.OK || r.status > Status.UNKNOWN) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${id} has status ${r.status}, expected 0..3`);
    }
    if (r.observation.length > limits.maxNameLength || r.message.length > limits.maxMessageLength) {
      throw new OutpostError(ErrorCode.LIMIT, `${id} observation or message exceeds ${limits.maxNameLength}/${limits.maxMessageLength} characters`);
    }
    if (r.transcript.length > limits.maxTranscriptBytes) {
      throw new OutpostError(ErrorCode.LIMIT, `${id} transcript of ${r.transcript.length} bytes exceeds max ${limits.maxTranscriptBytes}`);
    }
  }
  for (const g of body.gaps) {
    const ids = [g.fromResultId, g.toResultId, g.count];
    if (
      !ids.every(Number.isSafeInteger) || g.fromResultId < 1 || g.toResultId < g.fromResultId || g.reason.length > limits.maxNameLength ||
      !isValidTimeMs(g.firstMs) || !isValidTimeMs(g.lastMs) || Object.keys(g.perCheck).length > limits.maxBatchResults
    ) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${where} has a malformed gap ${g.fromResultId}..${g.toResultId}`);
    }
  }
}
