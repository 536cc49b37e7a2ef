/**
 * @outpost/protocol: the vocabulary agent and collector share. Protobuf frames, Ed25519
 * keys and domain-separated signatures, the handshake state machines, batch signing and
 * verification, limits and error codes. Pure: no sockets, files or timers.
 *
 * @example
 * import { decodeFrame, encodeFrame, CollectorHandshake } from '@outpost/protocol';
 * const hs = new CollectorHandshake({ keyPair });
 * ws.send(encodeFrame({ challenge: hs.challenge() }));
 */
export * from './errors.js';
export * from './limits.js';
export * from './duration.js';
export * from './keys.js';
export * from './tls-pin.js';
export * from './nonce-cache.js';
export * from './frames.js';
export * from './handshake.js';
export * from './batch.js';
export * from './batch-file.js';
export * from './config-push.js';
export * from './relay.js';
export * from './tls-cert.js';
