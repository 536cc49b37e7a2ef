/**
 * Test support: a real TCP (or TLS) server on 127.0.0.1, port 0, that plays a script of
 * server-side actions on every connection and records what the client sent. Used by the
 * conversation and Pandora tests; not used at runtime.
 *
 * @example
 * const server = await startScriptedServer({ script: [{ send: '220 hi\r\n' }, { expect: /^QUIT/ }, { close: true }] });
 * try { ...run a check against server.target... } finally { await server.close(); }
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';

export type ServerAction =
  /** Write text (UTF-8) or bytes. */
  | { send: string | Uint8Array }
  /** Wait until what arrived since the last expect matches (latin1), then forget it. */
  | { expect: RegExp }
  /** Wait until this many bytes arrived since the last expect, then forget them. */
  | { expectBytes: number }
  | { waitMs: number }
  /** Send FIN and stop. */
  | { close: true }
  /** Upgrade this connection to TLS as the server (after a STARTTLS answer). */
  | { starttls: true };

export interface ScriptedServerOptions {
  script: ServerAction[];
  /** Key and certificate (PEM) for `starttls` actions and for `implicitTls`. */
  tls?: { keyPem: string; certPem: string };
  /** Handshake TLS right after accept. */
  implicitTls?: boolean;
  /** How long one `expect` action waits before the server gives up. Default 10 s. */
  expectTimeoutMs?: number;
}

/** What one accepted connection saw. After the script the server holds the connection open. */
export interface ScriptedConnection {
  /** Every byte the client sent, in plaintext (decrypted after a TLS upgrade). */
  received: Buffer;
  /** The bytes the client sent inside TLS. */
  receivedOverTls: Buffer;
  /** Script problems (expect timed out, socket error). */
  errors: string[];
  /** Resolves when the connection is closed, by either side. */
  closed: Promise<void>;
}

export interface ScriptedServer {
  host: string;
  port: number;
  /** `127.0.0.1:<port>`. */
  target: string;
  connections: ScriptedConnection[];
  close(): Promise<void>;
}

async function play(first: Socket, options: ScriptedServerOptions, record: ScriptedConnection): Promise<void> {
  let socket = first;
  let unread = Buffer.alloc(0);
  let overTls = first instanceof TLSSocket;
  let wake: (() => void) | undefined;
  let gone = false;
  const onData = (chunk: Buffer) => {
    record.received = Buffer.concat([record.received, chunk]);
    if (overTls) record.receivedOverTls = Buffer.concat([record.receivedOverTls, chunk]);
    unread = Buffer.concat([unread, chunk]);
    wake?.();
  };
  const onGone = () => {
    gone = true;
    wake?.();
  };
  const listen = (to: Socket) => to.on('data', onData).on('end', onGone).on('close', onGone);
  listen(socket);
  const until = async (ready: () => boolean, what: string) => {
    const deadline = Date.now() + (options.expectTimeoutMs ?? 10_000);
    while (!ready()) {
      if (gone) throw new Error(`client went away while the server waited for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`server waited in vain for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  for (const action of options.script) {
    if ('send' in action) socket.write(action.send);
    else if ('expect' in action) {
      await until(() => action.expect.test(unread.toString('latin1')), String(action.expect));
      unread = Buffer.alloc(0);
    } else if ('expectBytes' in action) {
      await until(() => unread.length >= action.expectBytes, `${action.expectBytes} bytes`);
      unread = unread.subarray(action.expectBytes);
    } else if ('waitMs' in action) await new Promise((resolve) => setTimeout(resolve, action.waitMs));
    else if ('close' in action) {
      socket.end();
      return;
    } else {
      if (!options.tls) throw new Error('starttls action needs the tls option');
      socket.off('data', onData).off('end', onGone).off('close', onGone);
      const secure = new TLSSocket(socket, { isServer: true, key: options.tls.keyPem, cert: options.tls.certPem });
      secure.on('error', (err) => record.errors.push(`tls: ${err.message}`));
      overTls = true;
      listen(secure);
      await new Promise<void>((resolve, reject) => {
        secure.once('secure', resolve);
        secure.once('close', () => reject(new Error('closed during the TLS handshake')));
      });
      socket = secure;
    }
  }
}

/** Start a scripted server; always `close()` it in a finally or afterEach. */
export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const connections: ScriptedConnection[] = [];
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    const record: ScriptedConnection = {
      received: Buffer.alloc(0),
      receivedOverTls: Buffer.alloc(0),
      errors: [],
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    socket.on('error', (err) => record.errors.push(err.message));
    void record.closed.then(() => sockets.delete(socket));
    connections.push(record);
    play(socket, options, record).catch((err: unknown) => {
      record.errors.push(err instanceof Error ? err.message : String(err));
      socket.destroy();
    });
  };
  let server: Server;
  if (options.implicitTls) {
    if (!options.tls) throw new Error('implicitTls needs the tls option');
    server = createTlsServer({ key: options.tls.keyPem, cert: options.tls.certPem }, onConnection);
    server.on('tlsClientError', () => {});
  } else {
    server = createTcpServer(onConnection);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    host: '127.0.0.1',
    port: address.port,
    target: `127.0.0.1:${address.port}`,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
