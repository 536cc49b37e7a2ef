import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, ErrorCode, generateKeyPair, keyPairFromSeed, parseFingerprint, PublicKey, seedOf, sign, signedBytes } from './index.js';

describe('keys and signatures', () => {
  it('node:crypto verification agrees with tweetnacl on the same bytes', () => {
    const keys = generateKeyPair();
    const parts = [new Uint8Array([1, 2, 3]), new Uint8Array(40).fill(9)];
    const sig = sign(keys.secretKey, 'outpost/test/v1', parts);
    expect(nacl.sign.detached.verify(signedBytes('outpost/test/v1', parts), sig, keys.publicKey)).toBe(true);
    // Signing through node:crypto gives tweetnacl's bytes exactly.
    expect(Buffer.from(sig)).toEqual(Buffer.from(nacl.sign.detached(signedBytes('outpost/test/v1', parts), keys.secretKey)));
    const key = PublicKey.from(keys.publicKey);
    expect(key.verify('outpost/test/v1', parts, sig)).toBe(true);
    expect(key.verify('outpost/other/v1', parts, sig)).toBe(false);
    expect(key.verify('outpost/test/v1', parts, sig.subarray(0, 63))).toBe(false);
  });

  it('stores a key pair as its seed and restores it', () => {
    const keys = generateKeyPair();
    const again = keyPairFromSeed(seedOf(keys));
    expect(Buffer.from(again.publicKey)).toEqual(Buffer.from(keys.publicKey));
  });

  it('prints keys as base64url and rejects malformed text with the reason', () => {
    const keys = generateKeyPair();
    const text = encodeKey(keys.publicKey);
    expect(text).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(PublicKey.parse(text).equals(keys.publicKey)).toBe(true);
    expect(PublicKey.parse(text.slice('ed25519:'.length)).equals(keys.publicKey)).toBe(true);
    expect(() => decodeKey('not-a-key', 'collector key')).toThrow(expect.objectContaining({ code: ErrorCode.BAD_KEY, message: expect.stringContaining('collector key') }));
  });

  it('normalises fingerprints', () => {
    const hex = 'ab'.repeat(32);
    expect(parseFingerprint(`SHA256:${hex.toUpperCase().match(/../g)!.join(':')}`)).toBe(hex);
    expect(() => parseFingerprint('abc')).toThrow(expect.objectContaining({ code: ErrorCode.CONFIG }));
  });
});
