import { request as plainRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as tlsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** One HTTP request/response on a fresh connection; redirects are the caller's business. */
export interface HttpExchangeOptions {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Reject certificates that do not verify (chain and hostname). */
  tlsVerify: boolean;
  /** PEM CA bundle that replaces the system roots, as `curl --cacert` does. */
  ca?: string;
  family?: 4 | 6;
  /** Body bytes kept; reading stops past this and the response is marked truncated. */
  maxBodyBytes: number;
  signal: AbortSignal;
}

/**
 * Phase durations (`dnsMs`, `connectMs`, `tlsMs`) and times since the request started
 * (`ttfbMs` = response head received, `totalMs`). A phase that was not reached is absent.
 */
export interface HttpTimings {
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  ttfbMs?: number;
  totalMs: number;
}

export interface HttpResponseSeen {
  statusCode: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
}

export type HttpStage = 'dns' | 'connect' | 'tls' | 'response' | 'body';
export type HttpFailureKind = 'refused' | 'timeout' | 'tls_failed' | 'resolve_failed' | 'error';

export interface HttpExchange {
  timings: HttpTimings;
  response?: HttpResponseSeen;
  failure?: { kind: HttpFailureKind; stage: HttpStage; detail: string };
  /** The leaf certificate's notAfter (epoch ms) when a TLS handshake completed. */
  certNotAfterMs?: number;
}

const WAITING_FOR: Record<HttpStage, string> = {
  dns: 'while resolving the name',
  connect: 'before the TCP connect completed',
  tls: 'during the TLS handshake',
  response: 'while waiting for the response',
  body: 'while reading the body',
};

// OpenSSL verification codes and Node's own TLS errors, for errors raised before the
// stage bookkeeping has seen the TCP connect.
const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|HOSTNAME_)/;

/**
 * Send one request on its own connection (no keep-alive pool, so every phase is timed) and
 * read a bounded body. Never rejects: refusal, TLS failure and abort come back as `failure`.
 */
export function exchangeHttp(options: HttpExchangeOptions): Promise<HttpExchange> {
  const { url, signal } = options;
  const started = performance.now();
  const since = () => performance.now() - started;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const marks: { lookup?: number; connect?: number; secure?: number; response?: number } = {};
  let stage: HttpStage = isIP(host) === 0 ? 'dns' : 'connect';
  let certNotAfterMs: number | undefined;

  const timings = (): HttpTimings => {
    const dnsMs = isIP(host) !== 0 ? 0 : marks.lookup;
    return {
      ...(dnsMs === undefined ? {} : { dnsMs }),
      ...(marks.connect === undefined ? {} : { connectMs: marks.connect - (marks.lookup ?? 0) }),
      ...(marks.secure === undefined || marks.connect === undefined ? {} : { tlsMs: marks.secure - marks.connect }),
      ...(marks.response === undefined ? {} : { ttfbMs: marks.response }),
      totalMs: since(),
    };
  };
  if (signal.aborted) return Promise.resolve({ timings: timings(), failure: { kind: 'timeout', stage, detail: 'aborted before the request started' } });

  return new Promise((resolve) => {
    let settled = false;
    let request: ClientRequest | undefined;
    const finish = (result: Omit<HttpExchange, 'timings' | 'certNotAfterMs'>) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      request?.destroy();
      resolve({ timings: timings(), ...result, ...(certNotAfterMs === undefined ? {} : { certNotAfterMs }) });
    };
    const onAbort = () => finish({ failure: { kind: 'timeout', stage, detail: `no answer ${WAITING_FOR[stage]}` } });
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'UNKNOWN';
      if (stage === 'tls' || TLS_ERROR.test(code)) finish({ failure: { kind: 'tls_failed', stage, detail: `${code}: ${err.message}` } });
      else if (code === 'ECONNREFUSED') finish({ failure: { kind: 'refused', stage, detail: 'connection refused' } });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') finish({ failure: { kind: 'resolve_failed', stage, detail: `name does not resolve (${code})` } });
      else finish({ failure: { kind: 'error', stage, detail: `${code} ${err.message} ${WAITING_FOR[stage]}` } });
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const requestOptions: RequestOptions & { rejectUnauthorized?: boolean; ca?: string } = {
      method: options.method,
      host,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: options.headers,
      // A private agent per request: a fresh connection whose every phase is measured.
      agent: false,
      ...(options.family === undefined ? {} : { family: options.family }),
      ...(secure ? { rejectUnauthorized: options.tlsVerify, ...(options.ca === undefined ? {} : { ca: options.ca }) } : {}),
    };
    try {
      request = (secure ? tlsRequest : plainRequest)(requestOptions);
    } catch (err: unknown) {
      finish({ failure: { kind: 'error', stage, detail: `request not sent: ${err instanceof Error ? err.message : String(err)}` } });
      return;
    }
    request.on('error', onError);
    request.once('socket', (socket: Socket) => {
      socket.once('lookup', () => {
        marks.lookup = since();
        stage = 'connect';
      });
      socket.once('connect', () => {
        marks.connect = since();
        stage = secure ? 'tls' : 'response';
      });
      socket.once('secureConnect', () => {
        marks.secure = since();
        stage = 'response';
        const notAfter = Date.parse((socket as TLSSocket).getPeerCertificate().valid_to ?? '');
        if (Number.isFinite(notAfter)) certNotAfterMs = notAfter;
      });
    });
    request.once('response', (response: IncomingMessage) => {
      marks.response = since();
      stage = 'body';
      readBody(response, options.maxBodyBytes, (body, truncated) => {
        const { statusCode = 0, statusMessage = '', headers } = response;
        finish({ response: { statusCode, statusMessage, headers, body, truncated } });
      });
      response.on('error', onError);
      response.once('close', () => {
        if (!response.complete) onError(Object.assign(new Error('connection closed before the body ended'), { code: 'ECONNRESET' }));
      });
    });
    request.end(options.body);
  });
}

function readBody(response: IncomingMessage, maxBytes: number, done: (body: Buffer, truncated: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  response.on('data', (chunk: Buffer) => {
    if (over) return;
    const room = maxBytes - size;
    if (chunk.length > room) {
      // Stop at the limit: the caller destroys the connection rather than drain the rest.
      over = true;
      chunks.push(chunk.subarray(0, room));
      size += room;
      done(Buffer.concat(chunks, size), true);
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  response.once('end', () => {
    if (!over) done(Buffer.concat(chunks, size), false);
  });
}
