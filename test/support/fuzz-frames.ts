import { createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import {
  BATCH_DOMAIN,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  HELLO_DOMAIN,
  PROTOCOL_VERSION,
  signedBytes,
  type FrameInit,
  type HelloInit,
  type ResultInit,
} from '@outpost/protocol';
import type { Rng } from './prng.js';

// DER prefix of an Ed25519 PKCS#8 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * An Ed25519 key that signs with node:crypto (byte-identical to tweetnacl, and fast enough
 * to sign tens of thousands of fuzzed payloads). Derived from a seed so runs replay.
 */
export class SigningKey {
  readonly publicKey: Uint8Array;
  readonly #private: KeyObject;

  constructor(seed: Uint8Array) {
    this.#private = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(this.#private).export({ format: 'jwk' });
    this.publicKey = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  }

  sign(domain: string, parts: readonly Uint8Array[]): Uint8Array {
    return new Uint8Array(cryptoSign(null, signedBytes(domain, parts), this.#private));
  }
}

/** What one fuzz case sends on one connection: binary messages (Uint8Array) or text (string). */
export interface FuzzInput {
  kind: string;
  messages: (Uint8Array | string)[];
  /** True when the input is a batch for an already authenticated session (in-process only). */
  authenticated?: boolean;
}

export interface FuzzContext {
  rng: Rng;
  collectorKey: Uint8Array;
  /** The nonce of the Challenge this connection received. */
  challengeNonce: Uint8Array;
  /** Keys whose Hellos carry valid signatures; a small pool bounds the pending agents created. */
  agents: readonly SigningKey[];
}

// ---- a minimal protobuf writer, so inputs can break rules the real encoder never breaks ----

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wireType: number) => varint(BigInt((field << 3) | wireType));
const lengthDelimited = (field: number, bytes: Uint8Array) => [...tag(field, 2), ...varint(BigInt(bytes.length)), ...bytes];

/** Lengths that do not fit: 2^28 and up, through 64-bit varints, to an 11-byte overlong varint. */
const HUGE_LENGTHS: readonly number[][] = [
  varint(1n << 28n), varint((1n << 31n) - 1n), varint(1n << 31n), varint((1n << 32n) - 1n), varint(1n << 32n),
  varint(1n << 35n), varint(1n << 53n), varint(1n << 63n), varint((1n << 64n) - 1n), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
];

/** A field with any wire type and a plausible (or not) payload for it. */
function anyWireField(rng: Rng, field: number, wireType: number): number[] {
  const head = tag(field, wireType);
  switch (wireType) {
    case 0: return [...head, ...varint(BigInt(rng.int(0, 0x7fffffff)) * BigInt(rng.int(1, 1 << 20)))];
    case 1: return [...head, ...rng.bytes(8)];
    case 2: return [...head, ...varint(BigInt(rng.int(0, 40))), ...rng.bytes(rng.int(0, 40))];
    case 3: return [...head, ...(rng.chance(0.5) ? tag(field, 4) : [])];
    case 4: return head;
    case 5: return [...head, ...rng.bytes(4)];
    default: return [...head, ...rng.bytes(rng.int(0, 8))]; // 6 and 7 do not exist
  }
}

// ---- valid messages ----

export function validHello(ctx: FuzzContext, options: { token?: string; agent?: number; name?: string } = {}): HelloInit {
  const index = options.agent ?? ctx.rng.int(0, ctx.agents.length - 1);
  const agent = ctx.agents[index]!;
  const nonce = ctx.rng.bytes(32);
  return {
    version: PROTOCOL_VERSION,
    agentName: options.name ?? `fuzz-${index}`,
    agentKey: agent.publicKey,
    nonce,
    timeMs: Date.now(),
    software: 'fuzz/1',
    configHash: '',
    enrollToken: options.token ?? '',
    signature: agent.sign(HELLO_DOMAIN, [ctx.challengeNonce, nonce, ctx.collectorKey]),
  };
}

function randomResult(rng: Rng, id: number): ResultInit {
  return {
    resultId: rng.chance(0.9) ? id : rng.pick([0, -1, 2 ** 53, 2 ** 64 - 1, 1.5]),
    checkId: rng.chance(0.9) ? rng.name('c') : 'x'.repeat(rng.pick([0, 128, 129, 5_000])),
    startedAtMs: Date.now(),
    durationUs: rng.int(0, 1e6),
    status: rng.chance(0.9) ? rng.int(0, 3) : rng.pick([-1, 4, 1 << 30]),
    observation: rng.chance(0.95) ? 'open' : 'o'.repeat(200),
    message: rng.chance(0.95) ? 'fine' : 'm'.repeat(rng.pick([4_096, 4_097])),
    metrics: rng.chance(0.5) ? { rtt_ms: rng.next() * 100, ['__proto__']: 1, constructor: 2 } : {},
    transcript: rng.chance(0.05) ? new Uint8Array(rng.pick([16 * 1024, 16 * 1024 + 1])) : new Uint8Array(0),
  };
}

/** A BatchBody (bytes) for `agentKey`, with results that are sometimes out of bounds. */
export function batchBody(rng: Rng, agentKey: Uint8Array): Uint8Array {
  const count = rng.chance(0.997) ? rng.int(0, 5) : 5_001;
  const results = Array.from({ length: count }, (_, i) => encodeResult(count > 100 ? { resultId: i + 1, checkId: 'c' } : randomResult(rng, i + 1)));
  const gaps = rng.chance(0.2) ? [{ fromResultId: rng.int(0, 3), toResultId: rng.int(0, 3), count: 1, reason: rng.chance(0.9) ? 'cap' : 'r'.repeat(129) }] : [];
  return encodeBatchBody({ agentKey, batchSeq: rng.int(0, 1e6), createdMs: Date.now(), clockOffsetMs: rng.int(-1e6, 1e6) }, results, gaps);
}

const FRAME_TYPES = ['hello', 'challenge', 'welcome', 'batch', 'ack', 'heartbeat', 'configPush', 'error'] as const;

/** One valid frame of a type an agent might (or must never) send first; only that one is built. */
function validFrame(ctx: FuzzContext, type: (typeof FRAME_TYPES)[number]): FrameInit {
  const { rng } = ctx;
  switch (type) {
    case 'hello': return { hello: validHello(ctx) };
    case 'challenge': return { challenge: { version: 1, collectorKey: ctx.collectorKey, nonce: rng.bytes(32), timeMs: Date.now() } };
    case 'welcome': return { welcome: { signature: rng.bytes(64), timeMs: Date.now(), lastBatchSeq: 1, maxResultId: 1, agentStatus: 'active' } };
    case 'batch': {
      const agent = rng.pick(ctx.agents);
      const payload = batchBody(rng, agent.publicKey);
      return { batch: { payload, signature: agent.sign(BATCH_DOMAIN, [payload]) } };
    }
    case 'ack': return { ack: { batchSeq: 1, stored: 1, duplicates: 0 } };
    case 'heartbeat': return { heartbeat: { timeMs: Date.now(), backlog: 3, oldestUnsentMs: Date.now(), dropped: 0 } };
    case 'configPush': return { configPush: { version: 1, config: rng.bytes(16), signature: rng.bytes(64) } };
    case 'error': return { error: { code: 'OUTPOST_ERR_BAD_FRAME', message: 'x' } };
  }
}

function anyValidFrame(ctx: FuzzContext): Uint8Array {
  return encodeFrame(validFrame(ctx, ctx.rng.pick(FRAME_TYPES)));
}

// ---- the generators ----

type Generator = (ctx: FuzzContext) => FuzzInput;

const one = (kind: string, message: Uint8Array | string): FuzzInput => ({ kind, messages: [message] });

export const GENERATORS: Record<string, Generator> = {
  random: (ctx) => one('random', ctx.rng.bytes(ctx.rng.length(64 * 1024))),
  truncated: (ctx) => {
    const frame = anyValidFrame(ctx);
    return one('truncated', frame.subarray(0, ctx.rng.int(0, frame.length - 1)));
  },
  bitflip: (ctx) => {
    const frame = Uint8Array.from(anyValidFrame(ctx));
    const flips = ctx.rng.int(1, 8);
    for (let i = 0; i < flips; i++) frame[ctx.rng.int(0, frame.length - 1)]! ^= 1 << ctx.rng.int(0, 7);
    return one('bitflip', frame);
  },
  hugeLength: (ctx) => {
    const { rng } = ctx;
    const huge = rng.pick(HUGE_LENGTHS);
    const tail = [...rng.bytes(rng.int(0, 16))];
    const where = rng.int(0, 2);
    if (where === 0) return one('huge-length', Uint8Array.from([...tag(rng.int(1, 8), 2), ...huge, ...tail]));
    // Inside a Hello whose own (outer) length is right: agent_name, agent_key, nonce or signature.
    const inner = Uint8Array.from([...tag(rng.pick([2, 3, 4, 9]), 2), ...huge, ...tail]);
    if (where === 1) return one('huge-length', Uint8Array.from(lengthDelimited(2, inner)));
    // Inside a Batch: the payload or the signature claims more than there is.
    return one('huge-length', Uint8Array.from(lengthDelimited(4, Uint8Array.from([...tag(rng.int(1, 2), 2), ...huge, ...tail]))));
  },
  wireType: (ctx) => {
    const { rng } = ctx;
    const wrongType = () => rng.pick([0, 1, 3, 4, 5, 6, 7]);
    if (rng.chance(0.3)) return one('wire-type', Uint8Array.from(anyWireField(rng, rng.int(1, 8), wrongType())));
    // A Hello with one or two of its fields in the wrong wire type, inside a correct Frame.
    const hello = validHello(ctx);
    const fields: number[][] = [
      [...tag(1, 0), ...varint(BigInt(hello.version!))],
      lengthDelimited(2, new TextEncoder().encode(hello.agentName!)),
      lengthDelimited(3, hello.agentKey!),
      lengthDelimited(4, hello.nonce!),
      [...tag(5, 0), ...varint(BigInt(hello.timeMs!))],
      lengthDelimited(9, hello.signature!),
    ];
    for (let i = rng.int(1, 2); i > 0; i--) {
      const at = rng.int(0, fields.length - 1);
      fields[at] = anyWireField(rng, [1, 2, 3, 4, 5, 9][at]!, wrongType());
    }
    if (rng.chance(0.05)) fields.push(new Array<number>(rng.int(1, 20_000)).fill(0x7b)); // deeply nested groups
    return one('wire-type', Uint8Array.from(lengthDelimited(2, Uint8Array.from(fields.flat()))));
  },
  wrongOrder: (ctx) => {
    const type = ctx.rng.pick(FRAME_TYPES.filter((t) => t !== 'hello'));
    const messages: Uint8Array[] = [encodeFrame(validFrame(ctx, type))];
    if (ctx.rng.chance(0.3)) messages.push(encodeFrame(validFrame(ctx, 'hello'))); // a Hello that comes too late
    return { kind: `wrong-order:${type}`, messages };
  },
  badSignature: (ctx) => {
    const { rng } = ctx;
    const hello = validHello(ctx);
    const signature = Uint8Array.from(hello.signature!);
    switch (rng.int(0, 6)) {
      case 0: signature[rng.int(0, 63)]! ^= 1 << rng.int(0, 7); break;
      case 1: hello.signature = rng.bytes(64); break;
      case 2: hello.signature = rng.bytes(rng.pick([0, 63, 65, 128])); break;
      case 3: hello.signature = rng.pick(ctx.agents).sign(HELLO_DOMAIN, [rng.bytes(32), hello.nonce!, ctx.collectorKey]); break;
      case 4: hello.signature = rng.pick(ctx.agents).sign(BATCH_DOMAIN, [ctx.challengeNonce, hello.nonce!, ctx.collectorKey]); break;
      case 5: hello.version = rng.pick([0, 2, 0xffffffff]); break;
      default: hello.agentKey = rng.bytes(rng.pick([0, 31, 33])); break;
    }
    if (rng.int(0, 6) === 0) hello.signature = signature;
    return one('bad-signature', encodeFrame({ hello }));
  },
  refusedHello: (ctx) => {
    const { rng } = ctx;
    const token = rng.chance(0.5) ? '' : `opt_${Buffer.from(rng.bytes(24)).toString('base64url')}`;
    const name = rng.chance(0.9) ? undefined : rng.name('fuzz-other');
    const messages: Uint8Array[] = [encodeFrame({ hello: validHello(ctx, { token, ...(name ? { name } : {}) }) })];
    // A second Hello (or a batch) right behind the first: must never be looked at.
    if (rng.chance(0.5)) messages.push(rng.chance(0.5) ? encodeFrame({ hello: validHello(ctx) }) : anyValidFrame(ctx));
    return { kind: 'refused-hello', messages };
  },
  text: (ctx) => one('text', Buffer.from(ctx.rng.bytes(ctx.rng.int(0, 64))).toString('latin1')),
};

/** In-process only: a valid session key, and a mutated BatchBody signed after mutation. */
export function signedBatchInput(ctx: FuzzContext, agent: SigningKey): FuzzInput {
  const { rng } = ctx;
  let payload = batchBody(rng, rng.chance(0.95) ? agent.publicKey : rng.bytes(32));
  const mutation = rng.int(0, 3);
  if (mutation === 1) payload = payload.subarray(0, rng.int(0, payload.length));
  if (mutation === 2) {
    payload = Uint8Array.from(payload);
    for (let i = rng.int(1, 4); i > 0 && payload.length > 0; i--) payload[rng.int(0, payload.length - 1)]! ^= 1 << rng.int(0, 7);
  }
  if (mutation === 3) payload = Uint8Array.from([...payload, ...tag(3, 2), ...rng.pick(HUGE_LENGTHS)]);
  return { kind: 'signed-batch', authenticated: true, messages: [encodeFrame({ batch: { payload, signature: agent.sign(BATCH_DOMAIN, [payload]) } })] };
}

/** Choose a generator by weight: most inputs are structural damage, a few are protocol misuse. */
export function generate(ctx: FuzzContext): FuzzInput {
  const r = ctx.rng.next();
  if (r < 0.2) return GENERATORS['random']!(ctx);
  if (r < 0.35) return GENERATORS['truncated']!(ctx);
  if (r < 0.55) return GENERATORS['bitflip']!(ctx);
  if (r < 0.65) return GENERATORS['hugeLength']!(ctx);
  if (r < 0.75) return GENERATORS['wireType']!(ctx);
  if (r < 0.83) return GENERATORS['wrongOrder']!(ctx);
  if (r < 0.93) return GENERATORS['badSignature']!(ctx);
  if (r < 0.98) return GENERATORS['refusedHello']!(ctx);
  return GENERATORS['text']!(ctx);
}
