import './protobuf-runtime.js';
import { outpost } from '../gen/outpost.js';
import { ErrorCode, OutpostError } from './errors.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.js';

/** The generated protobuf classes of proto/outpost.proto (package outpost.v1). */
export const pb = outpost.v1;
export const Status = outpost.v1.Status;
export type Status = outpost.v1.Status;

// Decoded messages: every scalar field is present (proto3 defaults live on the prototype).
export type Challenge = outpost.v1.Challenge;
export type Hello = outpost.v1.Hello;
export type Welcome = outpost.v1.Welcome;
export type Batch = outpost.v1.Batch;
export type BatchBody = outpost.v1.BatchBody;
export type Result = outpost.v1.Result;
export type Gap = outpost.v1.Gap;
export type Ack = outpost.v1.Ack;
export type Heartbeat = outpost.v1.Heartbeat;
export type ConfigPush = outpost.v1.ConfigPush;
export type ErrorFrame = outpost.v1.Error;
export type KeyEndorsement = outpost.v1.KeyEndorsement;
export type RelayedBatch = outpost.v1.RelayedBatch;
export type RelayedAck = outpost.v1.RelayedAck;
export type RelayedConfigPush = outpost.v1.RelayedConfigPush;
export type RelayedHeartbeat = outpost.v1.RelayedHeartbeat;

// Messages to encode: plain objects, absent fields take proto3 defaults.
export type FrameInit = outpost.v1.Frame.$Properties;
export type ChallengeInit = outpost.v1.Challenge.$Properties;
export type HelloInit = outpost.v1.Hello.$Properties;
export type WelcomeInit = outpost.v1.Welcome.$Properties;
export type BatchInit = outpost.v1.Batch.$Properties;
export type ResultInit = outpost.v1.Result.$Properties;
export type GapInit = outpost.v1.Gap.$Properties;
export type HeartbeatInit = outpost.v1.Heartbeat.$Properties;
export type KeyEndorsementInit = outpost.v1.KeyEndorsement.$Properties;
export type RelayedBatchInit = outpost.v1.RelayedBatch.$Properties;
export type RelayedAckInit = outpost.v1.RelayedAck.$Properties;

interface FrameBodies {
  challenge: Challenge;
  hello: Hello;
  welcome: Welcome;
  batch: Batch;
  ack: Ack;
  heartbeat: Heartbeat;
  configPush: ConfigPush;
  error: ErrorFrame;
  relayedBatch: RelayedBatch;
  relayedAck: RelayedAck;
  relayedConfigPush: RelayedConfigPush;
  relayedHeartbeat: RelayedHeartbeat;
}

export type FrameType = keyof FrameBodies;

/** A decoded frame as a tagged union: switch on `type`, read `body`. */
export type DecodedFrame = { [K in FrameType]: { type: K; body: FrameBodies[K] } }[FrameType];

/** Encode one frame; exactly one body field should be set. */
export function encodeFrame(frame: FrameInit): Uint8Array {
  return outpost.v1.Frame.encode(frame).finish();
}

/**
 * Decode one WebSocket message into a frame. Throws OUTPOST_ERR_FRAME_TOO_LARGE past
 * `maxMessageBytes` (before parsing anything) and OUTPOST_ERR_BAD_FRAME for bytes that are
 * not a Frame or a Frame with no body.
 */
export function decodeFrame(
  bytes: Uint8Array,
  limits: Pick<ProtocolLimits, 'maxMessageBytes'> = DEFAULT_LIMITS,
): DecodedFrame {
  if (bytes.length > limits.maxMessageBytes) {
    throw new OutpostError(
      ErrorCode.FRAME_TOO_LARGE,
      `frame of ${bytes.length} bytes exceeds max ${limits.maxMessageBytes} bytes`,
    );
  }
  let frame: outpost.v1.Frame;
  try {
    frame = outpost.v1.Frame.decode(bytes);
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new OutpostError(ErrorCode.BAD_FRAME, `frame of ${bytes.length} bytes does not decode: ${reason}`, {
      cause: err,
    });
  }
  const type = frame.body;
  const body = type === undefined ? undefined : frame[type];
  if (type === undefined || body === undefined || body === null) {
    throw new OutpostError(ErrorCode.BAD_FRAME, `frame of ${bytes.length} bytes has no body`);
  }
  return { type, body } as DecodedFrame;
}

/** Human name of a status value, as used in logs, the API and Nagios output. */
export function statusName(status: Status): 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN' {
  switch (status) {
    case Status.OK:
      return 'OK';
    case Status.WARNING:
      return 'WARNING';
    case Status.CRITICAL:
      return 'CRITICAL';
    default:
      return 'UNKNOWN';
  }
}

/** Parse a status name (case-insensitive); undefined when it is not one. */
export function parseStatus(name: string): Status | undefined {
  switch (name.toUpperCase()) {
    case 'OK':
      return Status.OK;
    case 'WARNING':
      return Status.WARNING;
    case 'CRITICAL':
      return Status.CRITICAL;
    case 'UNKNOWN':
      return Status.UNKNOWN;
    default:
      return undefined;
  }
}
