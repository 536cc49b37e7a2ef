import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { identifyService, identifyServices } from './service-id.js';
import { mintTestCert } from './tls-test-cert.js';

const servers: { close(cb?: () => void): unknown }[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A scripted TCP peer: `onConnect` greets, `onData` answers what the probe sent. */
async function peer(script: { greet?: Buffer | string; answer?: (data: Buffer, socket: Socket) => void }): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    if (script.greet !== undefined) socket.write(script.greet);
    socket.on('data', (data) => script.answer?.(data, socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const signal = () => AbortSignal.timeout(20_000);

describe('identifyService', () => {
  it('names an HTTP server on an odd port from its answer to HEAD', async () => {
    const server = createHttpServer((_req, res) => res.end('hi'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const guess = await identifyService('127.0.0.1', (server.address() as AddressInfo).port, {}, signal());
    expect(guess.service).toBe('http');
    expect(guess.probe).toBe('http');
    expect(guess.evidence).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('names a TLS server from a completed handshake', async () => {
    const cert = await mintTestCert();
    const server = createTlsServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => socket.on('error', () => {}));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const guess = await identifyService('127.0.0.1', (server.address() as AddressInfo).port, {}, signal());
    expect(guess).toMatchObject({ service: 'ssl', probe: 'tls' });
    expect(guess.evidence).toMatch(/TLSv1\.[23]/);
  });

  it('reads SSH and SMTP greetings', async () => {
    const ssh = await peer({ greet: 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n' });
    const smtp = await peer({ greet: '220 mail.example ESMTP Postfix\r\n' });
    const [a, b] = await identifyServices([{ address: '127.0.0.1', port: ssh }, { address: '127.0.0.1', port: smtp }], {}, signal());
    expect(a).toEqual({ service: 'ssh', probe: 'banner', evidence: 'SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n' });
    expect(b).toMatchObject({ service: 'smtp', probe: 'banner' });
  });

  it('reads a MySQL handshake packet', async () => {
    const body = Buffer.concat([Buffer.from([0x0a]), Buffer.from('8.0.36\0'), Buffer.alloc(20, 1)]);
    const header = Buffer.from([body.length & 0xff, (body.length >> 8) & 0xff, 0, 0]);
    const port = await peer({ greet: Buffer.concat([header, body]) });
    expect(await identifyService('127.0.0.1', port, {}, signal())).toMatchObject({ service: 'mysql', probe: 'banner' });
  });

  it('answers Redis PING with +PONG', async () => {
    const port = await peer({ answer: (data, socket) => (data.toString().startsWith('PING') ? socket.write('+PONG\r\n') : socket.destroy()) });
    expect(await identifyService('127.0.0.1', port, {}, signal())).toEqual({ service: 'redis', probe: 'redis', evidence: '+PONG\\r\\n' });
  });

  it('answers a PostgreSQL SSLRequest with one byte', async () => {
    const port = await peer({ answer: (data, socket) => (data.length === 8 && data.readUInt32BE(4) === 80877103 ? socket.write('N') : socket.destroy()) });
    expect(await identifyService('127.0.0.1', port, {}, signal())).toMatchObject({ service: 'postgresql', probe: 'postgresql' });
  });

  it('answers a Modbus read device id', async () => {
    const port = await peer({
      answer: (data, socket) => {
        if (data.length < 8 || data[7] !== 0x2b) return socket.destroy();
        // Exception: function 0x2B | 0x80, code 1 (illegal function), same transaction id.
        socket.write(Buffer.concat([data.subarray(0, 4), Buffer.from([0, 3, data[6]!, 0xab, 0x01])]));
      },
    });
    expect(await identifyService('127.0.0.1', port, {}, signal())).toMatchObject({ service: 'modbus', probe: 'modbus' });
  });

  it('calls a port that answers nothing unknown, within its bounds', async () => {
    const port = await peer({});
    expect(await identifyService('127.0.0.1', port, { timeoutMs: 150 }, signal())).toEqual({ service: 'unknown', probe: 'none', evidence: '' });
  });
});
