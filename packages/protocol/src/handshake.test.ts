import { describe, expect, it } from 'vitest';
import {
  AgentHandshake,
  endorseCollectorKey,
  CollectorHandshake,
  ErrorCode,
  generateKeyPair,
  NonceCache,
  PublicKey,
  decodeFrame,
  encodeFrame,
  type Challenge,
  type Hello,
  type Welcome,
} from './index.js';

// Messages go through the real codec, as they would on the wire.
function roundTrip<T>(frame: Parameters<typeof encodeFrame>[0]): T {
  return decodeFrame(encodeFrame(frame)).body as T;
}

function setup(options: { pinned?: PublicKey; nonceCache?: NonceCache } = {}) {
  const collectorKeys = generateKeyPair();
  const agentKeys = generateKeyPair();
  const collector = new CollectorHandshake({ keyPair: collectorKeys, nonceCache: options.nonceCache ?? new NonceCache() });
  const agent = new AgentHandshake({
    keyPair: agentKeys,
    agentName: 'lab-1',
    collectorKeys: [options.pinned ?? PublicKey.from(collectorKeys.publicKey)],
    software: 'outpost-agent/test',
    configHash: 'abc',
  });
  return { collectorKeys, agentKeys, collector, agent };
}

describe('handshake', () => {
  it('completes and both sides learn who the other is', () => {
    const { agentKeys, collector, agent } = setup();
    const challenge = roundTrip<Challenge>({ challenge: collector.challenge() });
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(challenge) });
    const verified = collector.onHello(hello);
    expect(verified.agentName).toBe('lab-1');
    expect(verified.agentKey.equals(agentKeys.publicKey)).toBe(true);
    const welcome = roundTrip<Welcome>({ welcome: collector.welcome({ lastBatchSeq: 7, maxResultId: 99 }) });
    const session = agent.onWelcome(welcome);
    expect(session.lastBatchSeq).toBe(7);
    expect(session.maxResultId).toBe(99);
    expect(Math.abs(session.clockOffsetMs)).toBeLessThan(1000);
  });

  it('refuses a collector that presents another key than the pinned one', () => {
    const { agent } = setup({ pinned: PublicKey.from(generateKeyPair().publicKey) });
    const impostor = new CollectorHandshake({ keyPair: generateKeyPair() });
    const challenge = roundTrip<Challenge>({ challenge: impostor.challenge() });
    expect(() => agent.onChallenge(challenge)).toThrow(expect.objectContaining({ code: ErrorCode.COLLECTOR_KEY }));
  });

  it('refuses a Welcome signed by a key other than the pinned one', () => {
    const { collectorKeys, agent } = setup();
    // The impostor copies the real collector's public key into its Challenge but cannot sign.
    const impostor = new CollectorHandshake({ keyPair: { publicKey: collectorKeys.publicKey, secretKey: generateKeyPair().secretKey } });
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: impostor.challenge() })) });
    impostor.onHello(hello);
    expect(() => impostor.onHello(hello)).toThrow(expect.objectContaining({ code: ErrorCode.UNEXPECTED_FRAME }));
    const welcome = roundTrip<Welcome>({ welcome: impostor.welcome({ lastBatchSeq: 0, maxResultId: 0 }) });
    expect(() => agent.onWelcome(welcome)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('refuses a Hello with a flipped signature byte', () => {
    const { collector, agent } = setup();
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() })) });
    hello.signature[5]! ^= 0x01;
    expect(() => collector.onHello(hello)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('refuses a Hello replayed on a new connection (fresh collector nonce)', () => {
    const nonceCache = new NonceCache();
    const { collectorKeys, collector, agent } = setup({ nonceCache });
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() })) });
    collector.onHello(hello);
    const second = new CollectorHandshake({ keyPair: collectorKeys, nonceCache });
    second.challenge();
    expect(() => second.onHello(hello)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('refuses a reused agent nonce even when the collector nonce repeats', () => {
    const nonceCache = new NonceCache();
    const fixed = new Uint8Array(32).fill(7);
    const collectorKeys = generateKeyPair();
    const agentKeys = generateKeyPair();
    const run = () => {
      const collector = new CollectorHandshake({ keyPair: collectorKeys, nonceCache, randomBytes: () => fixed });
      const agent = new AgentHandshake({
        keyPair: agentKeys,
        agentName: 'lab-1',
        collectorKeys: [PublicKey.from(collectorKeys.publicKey)],
        software: 't',
        configHash: '',
        randomBytes: () => fixed,
      });
      return collector.onHello(roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() })) }));
    };
    run();
    expect(run).toThrow(expect.objectContaining({ code: ErrorCode.REPLAY }));
  });

  it('refuses a replayed Welcome from an earlier session', () => {
    const { collectorKeys, agentKeys, collector, agent } = setup();
    const hello = agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() }));
    collector.onHello(roundTrip<Hello>({ hello }));
    const oldWelcome = roundTrip<Welcome>({ welcome: collector.welcome({ lastBatchSeq: 0, maxResultId: 0 }) });
    const collector2 = new CollectorHandshake({ keyPair: collectorKeys });
    const agent2 = new AgentHandshake({
      keyPair: agentKeys,
      agentName: 'lab-1',
      collectorKeys: [PublicKey.from(collectorKeys.publicKey)],
      software: 't',
      configHash: '',
    });
    agent2.onChallenge(roundTrip<Challenge>({ challenge: collector2.challenge() }));
    expect(() => agent2.onWelcome(oldWelcome)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('refuses a Welcome whose resume point was altered in transit', () => {
    const { collector, agent } = setup();
    const hello = agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() }));
    collector.onHello(roundTrip<Hello>({ hello }));
    const welcome = roundTrip<Welcome>({ welcome: collector.welcome({ lastBatchSeq: 3, maxResultId: 500 }) });
    welcome.maxResultId = 5;
    expect(() => agent.onWelcome(welcome)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('refuses frames out of order', () => {
    const { collector, agent } = setup();
    expect(() => agent.onWelcome(roundTrip<Welcome>({ welcome: { timeMs: 1 } }))).toThrow(
      expect.objectContaining({ code: ErrorCode.UNEXPECTED_FRAME }),
    );
    expect(() => collector.welcome({ lastBatchSeq: 0, maxResultId: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.UNEXPECTED_FRAME }),
    );
  });

  it('estimates the clock offset from the round trip', () => {
    const collectorKeys = generateKeyPair();
    let agentClock = 1_000_000;
    let collectorClock = 1_005_000; // collector runs 5 s ahead
    const collector = new CollectorHandshake({ keyPair: collectorKeys, now: () => collectorClock });
    const agent = new AgentHandshake({
      keyPair: generateKeyPair(),
      agentName: 'a',
      collectorKeys: [PublicKey.from(collectorKeys.publicKey)],
      software: 't',
      configHash: '',
      now: () => agentClock,
    });
    const challenge = roundTrip<Challenge>({ challenge: collector.challenge() });
    agentClock += 10;
    collectorClock += 10;
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(challenge) });
    agentClock += 10;
    collectorClock += 10;
    expect(collector.onHello(hello).clockOffsetMs).toBe(5000);
    const welcome = roundTrip<Welcome>({ welcome: collector.welcome({ lastBatchSeq: 0, maxResultId: 0 }) });
    agentClock += 10;
    collectorClock += 10;
    const session = agent.onWelcome(welcome);
    expect(session.clockOffsetMs).toBe(5000);
    expect(session.roundTripMs).toBe(20);
  });

  it('rotates an agent key when both keys sign the move', () => {
    const { agentKeys, collector, collectorKeys } = setup();
    const next = generateKeyPair();
    const agent = new AgentHandshake({ keyPair: agentKeys, agentName: 'lab-1', collectorKeys: [PublicKey.from(collectorKeys.publicKey)], software: 't', configHash: '', rotateTo: next });
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() })) });
    expect(collector.onHello(hello).rotateTo?.equals(next.publicKey)).toBe(true);
    const session = agent.onWelcome(roundTrip<Welcome>({ welcome: collector.welcome({ lastBatchSeq: 0, maxResultId: 0, keyRotated: true }) }));
    expect(session.keyRotated).toBe(true);
  });

  it('refuses a rotation the new key did not sign', () => {
    const { agentKeys, collector, collectorKeys } = setup();
    const agent = new AgentHandshake({ keyPair: agentKeys, agentName: 'lab-1', collectorKeys: [PublicKey.from(collectorKeys.publicKey)], software: 't', configHash: '', rotateTo: generateKeyPair() });
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: collector.challenge() })) });
    hello.rotateToKey = generateKeyPair().publicKey; // someone else's key
    expect(() => collector.onHello(hello)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it('follows a collector key rotation that the pinned key endorsed, and only that', () => {
    const oldKeys = generateKeyPair();
    const newKeys = generateKeyPair();
    const agentFor = () => new AgentHandshake({ keyPair: generateKeyPair(), agentName: 'a', collectorKeys: [PublicKey.from(oldKeys.publicKey)], software: 't', configHash: '' });
    const endorsed = new CollectorHandshake({ keyPair: newKeys, endorsement: endorseCollectorKey(oldKeys, newKeys.publicKey, Date.now() + 60_000) });
    const agent = agentFor();
    const hello = roundTrip<Hello>({ hello: agent.onChallenge(roundTrip<Challenge>({ challenge: endorsed.challenge() })) });
    endorsed.onHello(hello);
    const session = agent.onWelcome(roundTrip<Welcome>({ welcome: endorsed.welcome({ lastBatchSeq: 0, maxResultId: 0 }) }));
    expect(session.collectorKeyEndorsed).toBe(true);
    expect(session.collectorKey.equals(newKeys.publicKey)).toBe(true);

    const stranger = generateKeyPair();
    const forged = new CollectorHandshake({ keyPair: newKeys, endorsement: endorseCollectorKey(stranger, newKeys.publicKey, Date.now() + 60_000) });
    expect(() => agentFor().onChallenge(roundTrip<Challenge>({ challenge: forged.challenge() }))).toThrow(expect.objectContaining({ code: ErrorCode.COLLECTOR_KEY }));
    const expired = new CollectorHandshake({ keyPair: newKeys, endorsement: endorseCollectorKey(oldKeys, newKeys.publicKey, Date.now() - 1) });
    expect(() => agentFor().onChallenge(roundTrip<Challenge>({ challenge: expired.challenge() }))).toThrow(expect.objectContaining({ code: ErrorCode.COLLECTOR_KEY }));
  });
});
