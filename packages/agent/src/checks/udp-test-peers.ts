import { createSocket, type RemoteInfo } from 'node:dgram';

/** A real UDP server on loopback (127.0.0.1 or ::1) for tests; `reply` decides what (if anything) goes back. */
export interface UdpTestPeer {
  port: number;
  /** Every datagram the peer received, in order. */
  received: Buffer[];
  close(): Promise<void>;
}

/** Returns the datagrams to send back for one received datagram (none for silence). */
export type UdpReply = (datagram: Buffer, index: number) => Buffer[];

export async function startUdpPeer(reply: UdpReply, host = '127.0.0.1'): Promise<UdpTestPeer> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const received: Buffer[] = [];
  socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
    received.push(datagram);
    for (const answer of reply(datagram, received.length - 1)) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export const echo: UdpReply = (datagram) => [datagram];
export const silent: UdpReply = () => [];

/**
 * A UDP port on 127.0.0.1 with nothing bound to it: bind to port 0, note the port, close.
 * The kernel answers datagrams to it with ICMP port unreachable.
 */
export async function closedUdpPort(): Promise<number> {
  const peer = await startUdpPeer(silent);
  await peer.close();
  return peer.port;
}
