/** Protocol version spoken by this build. A collector also accepts `MIN_PROTOCOL_VERSION`. */
export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

/** The IANA port of Tentacle, kept for Outpost's transport. */
export const DEFAULT_PORT = 41121;
export const WS_PATH = '/outpost/v1';

export interface ProtocolLimits {
  /** Largest WebSocket message either side accepts. */
  maxMessageBytes: number;
  /** Time from TCP accept to a verified Hello. */
  handshakeTimeoutMs: number;
  /** Results in one batch. */
  maxBatchResults: number;
  /** Longest check id, agent name, observation and message accepted from the wire. */
  maxNameLength: number;
  maxMessageLength: number;
  /** Largest transcript carried in a result. */
  maxTranscriptBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxMessageBytes: 4 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  maxBatchResults: 5_000,
  maxNameLength: 128,
  maxMessageLength: 4_096,
  maxTranscriptBytes: 16 * 1024,
});

/** Merge partial limits over the defaults once, into a new object. */
export function resolveLimits(partial: Partial<ProtocolLimits> = {}): ProtocolLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
