import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { AUTHORITATIVE_ANSWER, decode, encode, streamEncode, TRUNCATED_RESPONSE, type Answer, type DecodedPacket, type Packet } from 'dns-packet';

/** Classic DNS over UDP without EDNS: answers above 512 bytes are truncated (RFC 1035 §4.2.1). */
const MAX_UDP_ANSWER_BYTES = 512;
const ZONE = 'example.test';
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const soa: Answer = { type: 'SOA', name: ZONE, ttl: 300, data: { mname: `ns1.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 2024010101, refresh: 3600, retry: 600, expire: 86400, minimum: 300 } };

/** Fixed zone data. `big` has enough A records to overflow 512 bytes and force TCP. */
const RECORDS: Answer[] = [
  soa,
  { type: 'NS', name: ZONE, ttl: 300, data: `ns1.${ZONE}` },
  { type: 'MX', name: ZONE, ttl: 300, data: { preference: 10, exchange: `mail.${ZONE}` } },
  { type: 'MX', name: ZONE, ttl: 300, data: { preference: 20, exchange: `backup.${ZONE}` } },
  { type: 'TXT', name: ZONE, ttl: 300, data: ['v=spf1 ', '-all'] },
  { type: 'CAA', name: ZONE, ttl: 300, data: { flags: 0, tag: 'issue', value: 'ca.example.test' } },
  { type: 'A', name: `www.${ZONE}`, ttl: 300, data: '192.0.2.10' },
  { type: 'A', name: `www.${ZONE}`, ttl: 300, data: '192.0.2.11' },
  { type: 'AAAA', name: `www.${ZONE}`, ttl: 300, data: '2001:db8::10' },
  { type: 'CNAME', name: `alias.${ZONE}`, ttl: 300, data: `www.${ZONE}` },
  { type: 'SRV', name: `_sip._udp.${ZONE}`, ttl: 300, data: { priority: 10, weight: 5, port: 5060, target: `sip.${ZONE}` } },
  { type: 'PTR', name: '10.2.0.192.in-addr.arpa', ttl: 300, data: `www.${ZONE}` },
  ...Array.from({ length: 60 }, (_, i): Answer => ({ type: 'A', name: `big.${ZONE}`, ttl: 300, data: `198.51.100.${i + 1}` })),
];
/** Answered, but without the AA flag, as a cache would. */
const NOT_AUTHORITATIVE = `cache.${ZONE}`;
const SERVFAIL = `fail.${ZONE}`;

export interface DnsTestServerOptions {
  /** Before the real UDP answer, send one with a wrong id and a wrong address in it. */
  spoofFirst?: boolean;
  /** Answer UDP only with replies that do not match the query (`id`, `question` or `garbage`). */
  onlyWrong?: 'id' | 'question' | 'garbage';
  /** Do not listen on TCP, so the retry after truncation is refused. */
  noTcp?: boolean;
}

export interface DnsTestServer {
  port: number;
  /** Every query received, with the transport it came over. */
  queries: { transport: 'udp' | 'tcp'; packet: DecodedPacket }[];
  close(): Promise<void>;
}

/** The server's answer to one query, as an authoritative server for `example.test`. */
function answer(query: DecodedPacket): Packet {
  const question = query.questions?.[0];
  const base = { type: 'response' as const, id: query.id ?? 0, questions: query.questions ?? [] };
  if (question === undefined) return { ...base, flags: 1 };
  const name = question.name.toLowerCase();
  const rd = query.flag_rd ? 0x100 : 0;
  const inZone = name === ZONE || name.endsWith(`.${ZONE}`) || name.endsWith('.in-addr.arpa');
  if (!inZone) return { ...base, flags: rd | RCODE.REFUSED };
  if (name === SERVFAIL) return { ...base, flags: rd | RCODE.SERVFAIL };
  if (name === NOT_AUTHORITATIVE) return { ...base, flags: rd, answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.99' }] };
  const owned = RECORDS.filter((record) => record.name === name);
  if (owned.length === 0) return { ...base, flags: rd | AUTHORITATIVE_ANSWER | RCODE.NXDOMAIN, authorities: [soa] };
  const cname = owned.filter((record) => record.type === 'CNAME' && question.type !== 'CNAME');
  const alias = cname[0]?.type === 'CNAME' ? cname[0].data : undefined;
  const target = RECORDS.filter((record) => record.name === alias && record.type === question.type);
  const answers = [...owned.filter((record) => record.type === question.type), ...cname, ...target];
  return { ...base, flags: rd | AUTHORITATIVE_ANSWER | RCODE.NOERROR, answers, ...(answers.length === 0 ? { authorities: [soa] } : {}) };
}

function udpAnswer(query: DecodedPacket): Buffer {
  const full = answer(query);
  const bytes = encode(full);
  if (bytes.length <= MAX_UDP_ANSWER_BYTES) return bytes;
  return encode({ ...full, flags: (full.flags ?? 0) | TRUNCATED_RESPONSE, answers: [], authorities: [] });
}

function wrongReplies(query: DecodedPacket, kind: 'id' | 'question' | 'garbage'): Buffer {
  if (kind === 'garbage') return Buffer.from('not a dns message');
  const real = answer(query);
  if (kind === 'id') return encode({ ...real, id: ((query.id ?? 0) + 1) % 65_536, answers: [{ type: 'A', name: query.questions![0]!.name, data: '203.0.113.66' }] });
  return encode({ ...real, questions: [{ type: 'A', name: `other.${ZONE}`, class: 'IN' }] });
}

function serveTcp(connection: Socket, queries: DnsTestServer['queries']): void {
  let pending = Buffer.alloc(0);
  connection.on('error', () => {});
  connection.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const query = decode(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      pending = pending.subarray(2 + pending.readUInt16BE(0));
      queries.push({ transport: 'tcp', packet: query });
      connection.write(streamEncode(answer(query)));
    }
  });
}

/**
 * A small authoritative DNS server for `example.test` on 127.0.0.1, UDP and TCP on the same
 * port, with fixed zone data and a few ways to misbehave.
 */
export async function startDnsTestServer(options: DnsTestServerOptions = {}): Promise<DnsTestServer> {
  const queries: DnsTestServer['queries'] = [];
  const connections = new Set<Socket>();
  // The UDP port is picked by the kernel; the same TCP port is usually free but may not be.
  for (let attempt = 1; ; attempt += 1) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    const port = udp.address().port;
    let tcp: Server | undefined;
    if (!options.noTcp) {
      const server = createServer((connection) => {
        connections.add(connection);
        connection.on('close', () => connections.delete(connection));
        serveTcp(connection, queries);
      });
      const listening = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!listening) {
        udp.close();
        if (attempt >= 10) throw new Error(`dns test server: no free TCP port matching a UDP port after ${attempt} tries`);
        continue;
      }
      tcp = server;
    }
    udp.on('message', (datagram: Buffer, from: RemoteInfo) => {
      const query = decode(datagram);
      queries.push({ transport: 'udp', packet: query });
      const send = (bytes: Buffer) => udp.send(bytes, from.port, from.address);
      if (options.onlyWrong !== undefined) return send(wrongReplies(query, options.onlyWrong));
      if (options.spoofFirst) send(wrongReplies(query, 'id'));
      send(udpAnswer(query));
    });
    const close = async () => {
      for (const connection of connections) connection.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => (tcp === undefined ? resolve() : tcp.close(() => resolve()))),
      ]);
    };
    return { port, queries, close };
  }
}
