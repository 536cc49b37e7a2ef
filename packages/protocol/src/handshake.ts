import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ErrorCode, OutpostError } from './errors.js';
import type { Challenge, ChallengeInit, Hello, HelloInit, KeyEndorsement, KeyEndorsementInit, Welcome, WelcomeInit } from './frames.js';
import { bytesEqual, PUBLIC_KEY_BYTES, PublicKey, sign, type KeyPair } from './keys.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './limits.js';
import type { NonceCache } from './nonce-cache.js';

export const NONCE_BYTES = 32;
export const HELLO_DOMAIN = 'outpost/hello/v1';
export const WELCOME_DOMAIN = 'outpost/welcome/v1';
export const ROTATE_AGENT_DOMAIN = 'outpost/rotate-agent/v1';
export const ROTATE_COLLECTOR_DOMAIN = 'outpost/rotate-collector/v1';

/**
 * The old collector key vouching for the new one, shown in every Challenge for a while
 * after a rotation so that agents pinned to the old key move to the new one by themselves.
 */
export function endorseCollectorKey(oldKeyPair: KeyPair, newPublicKey: Uint8Array, notAfterMs: number): KeyEndorsementInit {
  return {
    oldKey: oldKeyPair.publicKey,
    signature: sign(oldKeyPair.secretKey, ROTATE_COLLECTOR_DOMAIN, [oldKeyPair.publicKey, newPublicKey]),
    notAfterMs,
  };
}

/** Injected side effects, so the state machines stay deterministic under test. */
export interface HandshakeEnv {
  now?: () => number;
  randomBytes?: (size: number) => Uint8Array;
}

function env(options: HandshakeEnv): Required<HandshakeEnv> {
  return {
    now: options.now ?? Date.now,
    randomBytes: options.randomBytes ?? ((size) => new Uint8Array(cryptoRandomBytes(size))),
  };
}

function requireLength(field: string, value: Uint8Array, expected: number): void {
  if (value.length !== expected) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `${field} is ${value.length} bytes, expected ${expected}`);
  }
}

/** A 64-bit unsigned big-endian field inside signed bytes. */
function u64(value: number): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

function flag(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0);
}

function unexpected(side: string, state: string, event: string): OutpostError {
  return new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${side} handshake in state ${state} cannot take ${event}`);
}

export interface AgentHandshakeOptions extends HandshakeEnv {
  keyPair: KeyPair;
  agentName: string;
  /**
   * Collector keys the agent trusts: the configured one, plus any it accepted since through
   * an endorsement. Any other key is refused unless a trusted key endorsed it.
   */
  collectorKeys: readonly PublicKey[];
  /** Move to this key pair in this handshake (agent key rotation). */
  rotateTo?: KeyPair;
  software: string;
  configHash: string;
  enrollToken?: string;
  /** Idle heartbeat interval, told to the collector for its liveness grace period. */
  heartbeatIntervalMs?: number;
  /** The remote config version the agent runs (0: its local file only). */
  configVersion?: number;
}

/** What the agent learns from a verified Welcome. */
export interface AgentSession {
  /** Collector clock minus agent clock, estimated from the round trip. */
  clockOffsetMs: number;
  roundTripMs: number;
  lastBatchSeq: number;
  maxResultId: number;
  /** The collector key of this session. */
  collectorKey: PublicKey;
  /** True when that key was accepted in this handshake through an endorsement: persist it. */
  collectorKeyEndorsed: boolean;
  /** The collector now knows this agent by `rotateTo`. */
  keyRotated: boolean;
}

/**
 * The agent's side of the mutual handshake: Challenge → Hello, then Welcome → session.
 *
 * @example
 * const hs = new AgentHandshake({ keyPair, agentName: 'lab-1', collectorKey, software, configHash });
 * send({ hello: hs.onChallenge(challenge) });
 * const session = hs.onWelcome(welcome); // throws unless signed by the pinned collector key
 */
export class AgentHandshake {
  readonly #options: AgentHandshakeOptions;
  readonly #env: Required<HandshakeEnv>;
  #state: 'await-challenge' | 'await-welcome' | 'done' = 'await-challenge';
  #collectorNonce: Uint8Array = new Uint8Array(0);
  #agentNonce: Uint8Array = new Uint8Array(0);
  #helloSentAt = 0;
  #collectorKey: PublicKey | undefined;
  #endorsed = false;

  constructor(options: AgentHandshakeOptions) {
    this.#options = options;
    this.#env = env(options);
  }

  onChallenge(challenge: Challenge): HelloInit {
    if (this.#state !== 'await-challenge') throw unexpected('agent', this.#state, 'a Challenge');
    if (challenge.version < MIN_PROTOCOL_VERSION) {
      throw new OutpostError(
        ErrorCode.VERSION,
        `collector speaks protocol ${challenge.version}, this agent needs ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
      );
    }
    requireLength('Challenge.collector_key', challenge.collectorKey, PUBLIC_KEY_BYTES);
    requireLength('Challenge.nonce', challenge.nonce, NONCE_BYTES);
    this.#collectorKey = this.#trustCollectorKey(challenge);
    this.#collectorNonce = Uint8Array.from(challenge.nonce);
    this.#agentNonce = this.#env.randomBytes(NONCE_BYTES);
    this.#helloSentAt = this.#env.now();
    this.#state = 'await-welcome';
    const { keyPair, rotateTo } = this.#options;
    const rotation = rotateTo
      ? (() => {
          const parts = [keyPair.publicKey, rotateTo.publicKey, challenge.collectorKey];
          return {
            rotateToKey: rotateTo.publicKey,
            rotateSignatureOld: sign(keyPair.secretKey, ROTATE_AGENT_DOMAIN, parts),
            rotateSignatureNew: sign(rotateTo.secretKey, ROTATE_AGENT_DOMAIN, parts),
          };
        })()
      : {};
    return {
      ...rotation,
      version: PROTOCOL_VERSION,
      agentName: this.#options.agentName,
      agentKey: keyPair.publicKey,
      nonce: this.#agentNonce,
      timeMs: this.#helloSentAt,
      software: this.#options.software,
      configHash: this.#options.configHash,
      enrollToken: this.#options.enrollToken ?? '',
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? 0,
      configVersion: this.#options.configVersion ?? 0,
      signature: sign(keyPair.secretKey, HELLO_DOMAIN, [
        this.#collectorNonce,
        this.#agentNonce,
        challenge.collectorKey,
      ]),
    };
  }

  #trustCollectorKey(challenge: Challenge): PublicKey {
    const { collectorKeys } = this.#options;
    const presented = PublicKey.from(challenge.collectorKey);
    if (collectorKeys.some((key) => key.equals(presented))) return presented;
    // Nested messages decode with their proto3 defaults in place.
    const endorsement = challenge.endorsement as KeyEndorsement | null | undefined;
    const voucher = endorsement ? collectorKeys.find((key) => key.equals(endorsement.oldKey)) : undefined;
    if (endorsement && voucher) {
      const signed = voucher.verify(ROTATE_COLLECTOR_DOMAIN, [voucher.raw, presented.raw], endorsement.signature);
      if (signed && this.#env.now() <= endorsement.notAfterMs) {
        this.#endorsed = true;
        return presented;
      }
    }
    throw new OutpostError(
      ErrorCode.COLLECTOR_KEY,
      `collector presented key ${presented}, configured key is ${collectorKeys[0]}${endorsement ? ' (its endorsement is not from a trusted key, or has expired)' : ''}`,
    );
  }

  onWelcome(welcome: Welcome): AgentSession {
    if (this.#state !== 'await-welcome' || this.#collectorKey === undefined) throw unexpected('agent', this.#state, 'a Welcome');
    const ok = this.#collectorKey.verify(
      WELCOME_DOMAIN,
      [this.#agentNonce, this.#collectorNonce, this.#options.keyPair.publicKey, u64(welcome.lastBatchSeq), u64(welcome.maxResultId), flag(welcome.keyRotated)],
      welcome.signature,
    );
    if (!ok) {
      throw new OutpostError(ErrorCode.BAD_SIGNATURE, 'Welcome is not signed by the configured collector key for this session');
    }
    this.#state = 'done';
    const receivedAt = this.#env.now();
    const roundTripMs = Math.max(0, receivedAt - this.#helloSentAt);
    return {
      clockOffsetMs: Math.round(welcome.timeMs - (this.#helloSentAt + receivedAt) / 2),
      roundTripMs,
      lastBatchSeq: welcome.lastBatchSeq,
      maxResultId: welcome.maxResultId,
      collectorKey: this.#collectorKey,
      collectorKeyEndorsed: this.#endorsed,
      keyRotated: welcome.keyRotated && this.#options.rotateTo !== undefined,
    };
  }
}

export interface CollectorHandshakeOptions extends HandshakeEnv {
  keyPair: KeyPair;
  /** Shown in the Challenge after a collector key rotation (see endorseCollectorKey). */
  endorsement?: KeyEndorsementInit;
  /** Shared across connections: an agent nonce is accepted once. */
  nonceCache?: NonceCache;
}

/** A Hello whose signature has been verified for this connection's challenge. */
export interface VerifiedHello {
  version: number;
  agentName: string;
  agentKey: PublicKey;
  software: string;
  configHash: string;
  enrollToken: string;
  /** The agent's idle heartbeat interval; 0 when it did not say. */
  heartbeatIntervalMs: number;
  /** The remote config version it runs; 0 when none. */
  configVersion: number;
  /** Collector clock minus agent clock, estimated from the round trip. */
  clockOffsetMs: number;
  /** The agent proves it holds both keys and asks to be known by `rotateTo` from now on. */
  rotateTo?: PublicKey;
}

/**
 * The collector's side: Challenge out, Hello in (verified), Welcome out. Deciding whether
 * the agent is enrolled is the caller's job, between `onHello` and `welcome`.
 *
 * @example
 * const hs = new CollectorHandshake({ keyPair, nonceCache });
 * send({ challenge: hs.challenge() });
 * const hello = hs.onHello(frame.body); // throws on a bad signature or a replayed nonce
 * send({ welcome: hs.welcome({ lastBatchSeq, maxResultId }) });
 */
export class CollectorHandshake {
  readonly #options: CollectorHandshakeOptions;
  readonly #env: Required<HandshakeEnv>;
  #state: 'new' | 'await-hello' | 'verified' | 'done' = 'new';
  #collectorNonce: Uint8Array = new Uint8Array(0);
  #challengeSentAt = 0;
  #hello: Hello | undefined;

  constructor(options: CollectorHandshakeOptions) {
    this.#options = options;
    this.#env = env(options);
  }

  challenge(): ChallengeInit {
    if (this.#state !== 'new') throw unexpected('collector', this.#state, 'a challenge request');
    this.#collectorNonce = this.#env.randomBytes(NONCE_BYTES);
    this.#challengeSentAt = this.#env.now();
    this.#state = 'await-hello';
    return {
      version: PROTOCOL_VERSION,
      collectorKey: this.#options.keyPair.publicKey,
      nonce: this.#collectorNonce,
      timeMs: this.#challengeSentAt,
      ...(this.#options.endorsement ? { endorsement: this.#options.endorsement } : {}),
    };
  }

  onHello(hello: Hello): VerifiedHello {
    if (this.#state !== 'await-hello') throw unexpected('collector', this.#state, 'a Hello');
    if (hello.version < MIN_PROTOCOL_VERSION || hello.version > PROTOCOL_VERSION) {
      throw new OutpostError(
        ErrorCode.VERSION,
        `agent speaks protocol ${hello.version}, this collector speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
      );
    }
    requireLength('Hello.agent_key', hello.agentKey, PUBLIC_KEY_BYTES);
    requireLength('Hello.nonce', hello.nonce, NONCE_BYTES);
    if (hello.agentName.length === 0 || hello.agentName.length > 128) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `Hello.agent_name has ${hello.agentName.length} characters, expected 1..128`);
    }
    const agentKey = PublicKey.from(hello.agentKey);
    const signed = [this.#collectorNonce, hello.nonce, this.#options.keyPair.publicKey];
    if (!agentKey.verify(HELLO_DOMAIN, signed, hello.signature)) {
      throw new OutpostError(ErrorCode.BAD_SIGNATURE, `Hello from "${hello.agentName}" is not signed for this challenge`);
    }
    const receivedAt = this.#env.now();
    if (this.#options.nonceCache && !this.#options.nonceCache.remember(hello.nonce, receivedAt)) {
      throw new OutpostError(ErrorCode.REPLAY, `Hello from "${hello.agentName}" reuses an agent nonce`);
    }
    let rotateTo: PublicKey | undefined;
    if (hello.rotateToKey.length > 0) {
      rotateTo = PublicKey.from(hello.rotateToKey);
      const parts = [hello.agentKey, hello.rotateToKey, this.#options.keyPair.publicKey];
      if (!agentKey.verify(ROTATE_AGENT_DOMAIN, parts, hello.rotateSignatureOld) || !rotateTo.verify(ROTATE_AGENT_DOMAIN, parts, hello.rotateSignatureNew)) {
        throw new OutpostError(ErrorCode.BAD_SIGNATURE, `key rotation from "${hello.agentName}" is not signed by both keys`);
      }
    }
    this.#hello = hello;
    this.#state = 'verified';
    return {
      ...(rotateTo ? { rotateTo } : {}),
      version: hello.version,
      agentName: hello.agentName,
      agentKey,
      software: hello.software,
      configHash: hello.configHash,
      enrollToken: hello.enrollToken,
      heartbeatIntervalMs: hello.heartbeatIntervalMs,
      configVersion: hello.configVersion,
      clockOffsetMs: Math.round((this.#challengeSentAt + receivedAt) / 2 - hello.timeMs),
    };
  }

  welcome(resume: { lastBatchSeq: number; maxResultId: number; keyRotated?: boolean }): WelcomeInit {
    const hello = this.#hello;
    if (this.#state !== 'verified' || hello === undefined) throw unexpected('collector', this.#state, 'a welcome request');
    this.#state = 'done';
    return {
      // The resume point is signed too: the agent renumbers its outbox from it.
      signature: sign(this.#options.keyPair.secretKey, WELCOME_DOMAIN, [
        hello.nonce,
        this.#collectorNonce,
        hello.agentKey,
        u64(resume.lastBatchSeq),
        u64(resume.maxResultId),
        flag(resume.keyRotated ?? false),
      ]),
      timeMs: this.#env.now(),
      lastBatchSeq: resume.lastBatchSeq,
      maxResultId: resume.maxResultId,
      agentStatus: 'active',
      keyRotated: resume.keyRotated ?? false,
    };
  }

  get verified(): boolean {
    return this.#state === 'verified' || this.#state === 'done';
  }
}

