import type { FrameInit, RelayedAck, RelayedConfigPush } from '@outpost/protocol';

/**
 * What the uplink needs from a relay (docs/relay.md): once a session upstream is up the
 * relay forwards its stored batches through `send` within its window; acks and config
 * pushes for agents behind it come back through the same link.
 */
export interface UplinkRelay {
  /**
   * A session upstream is established: forward through `send` until `detach`.
   * `bufferedBytes` is what the upstream socket has not sent yet (best-effort frames wait when it is high).
   */
  attach(send: (frame: FrameInit) => number, bufferedBytes: () => number): void;
  /** The session ended: everything in flight goes again on the next one. */
  detach(): void;
  onRelayedAck(ack: RelayedAck): void;
  onRelayedConfigPush(push: RelayedConfigPush): void;
  /** The relay's own figures for its heartbeat: downstream agents connected, batches waiting. */
  health(): { agents: number; backlog: number };
}
