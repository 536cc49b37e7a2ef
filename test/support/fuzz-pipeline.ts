import {
  CollectorHandshake,
  decodeFrame,
  DEFAULT_LIMITS,
  ErrorCode,
  NonceCache,
  openBatch,
  OutpostError,
  PublicKey,
  type KeyPair,
} from '@outpost/protocol';
import type { FuzzInput } from './fuzz-frames.js';

/** What the collector's pure layer makes of one connection's messages. */
export type Outcome =
  | { kind: 'rejected'; code: string }
  | { kind: 'verified' } // a Hello with a valid signature: admission decides next (refused.* here)
  | { kind: 'opened'; results: number } // an authenticated, valid batch
  | { kind: 'crashed'; error: unknown }; // anything that is not an OutpostError: a defect

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** The counter a rejection code lands in at the collector (same rule as session.ts). */
export function counterFor(code: string): string {
  return `rejected.${code.replace(/^OUTPOST_ERR_/, '').toLowerCase()}`;
}

/**
 * The collector's decode → handshake → batch path, in-process, driven like one connection:
 * messages in order until the first rejection (the collector closes there). Used to fuzz the
 * pure layer at speed and to predict what the real collector must count for each connection.
 */
export class PipelineModel {
  readonly #keyPair: KeyPair;
  readonly #nonceCache = new NonceCache();

  /** Only the collector's public key is used by `onHello`; the secret key may be a dummy. */
  constructor(collectorPublicKey: Uint8Array) {
    this.#keyPair = { publicKey: collectorPublicKey, secretKey: new Uint8Array(64) };
  }

  run(input: FuzzInput, challengeNonce: Uint8Array, sessionKey?: PublicKey): Outcome {
    const handshake = new CollectorHandshake({ keyPair: this.#keyPair, nonceCache: this.#nonceCache, randomBytes: () => challengeNonce });
    handshake.challenge();
    try {
      for (const message of input.messages) {
        if (typeof message === 'string') return { kind: 'rejected', code: ErrorCode.BAD_FRAME };
        const frame = decodeFrame(message, DEFAULT_LIMITS);
        if (input.authenticated && sessionKey) {
          if (frame.type !== 'batch') return { kind: 'rejected', code: ErrorCode.UNEXPECTED_FRAME };
          const opened = openBatch(frame.body, sessionKey, DEFAULT_LIMITS);
          checkOpenedBatch(opened);
          return { kind: 'opened', results: opened.results.length };
        }
        if (frame.type !== 'hello') return { kind: 'rejected', code: ErrorCode.UNEXPECTED_FRAME };
        const verified = handshake.onHello(frame.body);
        if (verified.agentName.length < 1 || verified.agentName.length > 128 || verified.agentKey.raw.length !== 32) {
          return { kind: 'crashed', error: new Error(`onHello accepted a malformed Hello: ${JSON.stringify(verified.agentName)}`) };
        }
        return { kind: 'verified' };
      }
      return { kind: 'crashed', error: new Error('an input with no messages') };
    } catch (err: unknown) {
      if (err instanceof OutpostError && KNOWN_CODES.has(err.code)) return { kind: 'rejected', code: err.code };
      return { kind: 'crashed', error: err };
    }
  }
}

/** What openBatch promises about a batch it lets through. */
function checkOpenedBatch(body: ReturnType<typeof openBatch>): void {
  if (body.results.length > DEFAULT_LIMITS.maxBatchResults) throw new Error(`opened a batch of ${body.results.length} results`);
  for (const r of body.results) {
    const ok =
      Number.isSafeInteger(r.resultId) && r.resultId >= 1 &&
      r.checkId.length >= 1 && r.checkId.length <= DEFAULT_LIMITS.maxNameLength &&
      r.status >= 0 && r.status <= 3 &&
      r.message.length <= DEFAULT_LIMITS.maxMessageLength && r.transcript.length <= DEFAULT_LIMITS.maxTranscriptBytes;
    if (!ok) throw new Error(`opened a batch with an out-of-bounds result ${r.resultId}`);
  }
}
