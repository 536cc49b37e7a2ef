import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { decode, encode, RECURSION_DESIRED, streamEncode, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import type { HostPort } from './target.js';
import { ConnectedUdpSocket, failureFor, type UdpFailure } from './udp-socket.js';

export interface DnsQueryOptions {
  /** Longest wait for a UDP reply, in case the signal never aborts (the check's timeout). */
  timeoutMs: number;
  /** Datagrams queued on the UDP socket while one is being checked. */
  maxQueuedDatagrams: number;
  /** Replies that fail the id/question check and are ignored before giving up on the server. */
  maxIgnoredReplies: number;
}

/** What one query brought back. Every network outcome is a value; only bugs throw. */
export type QueryOutcome =
  | { kind: 'reply'; reply: DecodedPacket; transport: 'udp' | 'tcp'; udpMs: number }
  /** No acceptable reply before the abort; `ignored` says why datagrams were dropped. */
  | { kind: 'aborted'; ignored: string[] }
  | { kind: 'bad_reply'; reason: string }
  | { kind: 'refused'; transport: 'udp' | 'tcp' }
  | { kind: 'unreachable' | 'error'; code: string };

const sameName = (a: string, b: string) => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

/**
 * Why `reply` is not the answer to our query, or undefined when it is. The id alone is 16
 * bits; checking the question too makes a blind spoof or a late answer to an earlier
 * query much less likely to be taken for ours.
 */
export function replyMismatch(reply: DecodedPacket, id: number, question: Question): string | undefined {
  if (reply.type !== 'response') return 'not a response';
  if (reply.id !== id) return `id ${reply.id}, expected ${id}`;
  const [asked, ...more] = reply.questions ?? [];
  // Minimal servers may drop the question section from a FORMERR/REFUSED/NOTIMP reply.
  if (asked === undefined) return (reply.flags ?? 0) & 0xf ? undefined : 'no question section';
  const same = more.length === 0 && sameName(asked.name, question.name) && asked.type === question.type && (asked.class ?? 'IN') === (question.class ?? 'IN');
  return same ? undefined : `question ${asked.name} ${asked.type}, expected ${question.name} ${question.type}`;
}

function newQuery(question: Question, recursionDesired: boolean): { id: number; packet: Packet } {
  const id = randomInt(0, 65_536);
  return { id, packet: { type: 'query', id, flags: recursionDesired ? RECURSION_DESIRED : 0, questions: [question] } };
}

function fromUdpFailure(failure: Exclude<UdpFailure, { kind: 'aborted' }>): QueryOutcome {
  if (failure.kind === 'port_unreachable') return { kind: 'refused', transport: 'udp' };
  return { kind: failure.kind === 'unreachable' ? 'unreachable' : 'error', code: 'code' in failure ? failure.code : 'UNKNOWN' };
}

async function queryUdp(server: HostPort, question: Question, recursionDesired: boolean, signal: AbortSignal, options: DnsQueryOptions): Promise<QueryOutcome> {
  const socket = await ConnectedUdpSocket.open(server, signal, { maxQueuedDatagrams: options.maxQueuedDatagrams });
  if (!(socket instanceof ConnectedUdpSocket)) return socket.kind === 'aborted' ? { kind: 'aborted', ignored: [] } : fromUdpFailure(socket);
  const started = performance.now();
  const { id, packet } = newQuery(question, recursionDesired);
  const ignored: string[] = [];
  try {
    const failed = await socket.send(encode(packet));
    if (failed !== undefined) return failed.kind === 'aborted' ? { kind: 'aborted', ignored } : fromUdpFailure(failed);
    while (ignored.length < options.maxIgnoredReplies) {
      // The check's timeout is the only deadline: one query, no retransmission.
      const got = await socket.receive(options.timeoutMs, signal);
      if (got.kind === 'aborted' || got.kind === 'timeout') return { kind: 'aborted', ignored };
      if (got.kind !== 'datagram') return fromUdpFailure(got);
      let reply: DecodedPacket;
      try {
        reply = decode(got.bytes);
      } catch {
        ignored.push(`undecodable ${got.bytes.length}-byte datagram`);
        continue;
      }
      const mismatch = replyMismatch(reply, id, question);
      if (mismatch === undefined) return { kind: 'reply', reply, transport: 'udp', udpMs: performance.now() - started };
      ignored.push(mismatch);
    }
    return { kind: 'bad_reply', reason: `${ignored.length} replies did not match the query (${ignored.slice(0, 3).join('; ')})` };
  } finally {
    socket.close();
  }
}

/** Query over TCP (RFC 7766): two-byte length prefix, so a reply is at most 65,535 bytes. */
function queryTcp(server: HostPort, question: Question, recursionDesired: boolean, signal: AbortSignal): Promise<QueryOutcome> {
  if (signal.aborted) return Promise.resolve({ kind: 'aborted', ignored: [] });
  const { id, packet } = newQuery(question, recursionDesired);
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: QueryOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'aborted', ignored: [] });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => socket.write(streamEncode(packet)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const framed = size >= 2 ? 2 + Buffer.concat(chunks).readUInt16BE(0) : Infinity;
      if (size < framed) return;
      // A server that keeps talking past the first message is ignored; the length prefix bounds what we keep.
      const message = Buffer.concat(chunks).subarray(2, framed);
      let reply: DecodedPacket;
      try {
        reply = decode(message);
      } catch (err: unknown) {
        return finish({ kind: 'bad_reply', reason: `undecodable ${message.length}-byte TCP reply (${err instanceof Error ? err.message : String(err)})` });
      }
      const mismatch = replyMismatch(reply, id, question);
      if (mismatch !== undefined) return finish({ kind: 'bad_reply', reason: `TCP reply did not match the query: ${mismatch}` });
      if (reply.flag_tc) return finish({ kind: 'bad_reply', reason: 'TCP reply is truncated too' });
      finish({ kind: 'reply', reply, transport: 'tcp', udpMs: 0 });
    });
    socket.once('end', () => finish({ kind: 'bad_reply', reason: `TCP connection closed after ${size} bytes, before a whole reply` }));
    socket.once('error', (err: unknown) => {
      // failureFor reads ECONNREFUSED as "port unreachable"; over TCP it is a refused connect.
      const failure = failureFor(err);
      finish(failure.kind === 'port_unreachable' ? { kind: 'refused', transport: 'tcp' } : fromUdpFailure(failure));
    });
  });
}

/**
 * Ask `server` one question over UDP; when the answer comes back truncated (TC), ask
 * again over TCP as RFC 7766 asks. Replies whose id or question differ are ignored.
 *
 * @example
 * const outcome = await queryDns({ host: '127.0.0.1', port: 53 }, { name: 'example.test', type: 'A', class: 'IN' }, true, signal, options);
 * if (outcome.kind === 'reply') console.log(outcome.reply.answers);
 */
export async function queryDns(server: HostPort, question: Question, recursionDesired: boolean, signal: AbortSignal, options: DnsQueryOptions): Promise<QueryOutcome> {
  const overUdp = await queryUdp(server, question, recursionDesired, signal, options);
  if (overUdp.kind !== 'reply' || !overUdp.reply.flag_tc) return overUdp;
  const overTcp = await queryTcp(server, question, recursionDesired, signal);
  return overTcp.kind === 'reply' ? { ...overTcp, udpMs: overUdp.udpMs } : overTcp;
}
