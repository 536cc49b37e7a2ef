import type { ClientRequestArgs } from 'node:http';
import { connect, type TLSSocket } from 'node:tls';
import { ErrorCode, OutpostError, spkiFingerprint } from '@outpost/protocol';

/** One connection attempt's TLS connector; `verified` turns true once the pin matched. */
export interface PinnedConnector {
  createConnection: (options: ClientRequestArgs) => TLSSocket;
  readonly verified: boolean;
}

/**
 * A `createConnection` for ws that pins the collector certificate's SPKI SHA-256 instead
 * of trusting a CA or checking host names, the way SSH pins host keys. TLS 1.2 or newer.
 * Create one per connection attempt and refuse to speak until `verified` is true.
 */
export function pinnedTlsConnector(fingerprint: string): PinnedConnector {
  let verified = false;
  const createConnection = (options: ClientRequestArgs): TLSSocket => {
    const socket = connect({
      host: options.host ?? undefined,
      port: Number(options.port),
      // The pin replaces CA and host-name checks, so the collector is reachable by any address.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // ws passes its handshake timeout here; without it a silent peer is waited on forever.
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      const seen = cert ? spkiFingerprint(cert) : 'none';
      if (seen !== fingerprint) {
        socket.destroy(new OutpostError(ErrorCode.TLS_PIN, `collector TLS key sha256 ${seen} does not match the pinned ${fingerprint}`));
        return;
      }
      verified = true;
    });
    return socket;
  };
  return {
    createConnection,
    get verified() {
      return verified;
    },
  };
}
