import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCheck, type HttpConfig } from './http.js';
import { mintTestCa, mintTestCert } from './tls-test-cert.js';

const BIG_BODY_BYTES = 2 * 1_048_576;
const servers: Server[] = [];
let base: string;
let dir: string;

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const redirect = (to: string, code = 302) => res.writeHead(code, { Location: to }).end();
  const deep = /^\/deep\/(\d+)$/.exec(path);
  if (path === '/ok') res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Outpost': 'probe-42' }).end('hello outpost');
  else if (path === '/missing') res.writeHead(404).end('nope');
  else if (path === '/r1') redirect('/r2', 301);
  else if (path === '/r2') redirect(`${base}/ok`);
  else if (path === '/loop-a') redirect('/loop-b');
  else if (path === '/loop-b') redirect('/loop-a');
  else if (deep) redirect(Number(deep[1]) === 0 ? '/ok' : `/deep/${Number(deep[1]) - 1}`);
  else if (path === '/ftp') redirect('ftp://127.0.0.1/file');
  else if (path === '/see-other') redirect('/echo', 303);
  else if (path === '/slow') res.writeHead(200).write('partial'); // then stalls forever
  else if (path === '/stall') return; // never answers at all
  else if (path === '/big') {
    res.on('error', () => {});
    res.writeHead(200, { 'Content-Length': String(BIG_BODY_BYTES) });
    res.end(Buffer.alloc(BIG_BODY_BYTES, 0x61));
  } else if (path === '/echo') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => res.writeHead(200).end(`${req.method} ${req.headers['x-token'] ?? '-'} ${Buffer.concat(chunks).toString()}`));
  } else res.writeHead(500).end();
}

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function configFor(url: string, extra: Record<string, unknown> = {}): HttpConfig {
  return httpCheck.schema.parse({ url, ...extra });
}

const context = () => ({ signal: AbortSignal.timeout(20_000), timeoutMs: 20_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'op-http-'));
  base = `http://127.0.0.1:${await listen(createHttpServer(route))}`;
});

afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('http check: responses', () => {
  it('is OK for a 200 with the timing breakdown', async () => {
    const result = await httpCheck.run(configFor(`${base}/ok`), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.message).toMatch(new RegExp(`^GET ${base}/ok → 200 OK, 13 bytes in [\\d.]+ ms$`));
    expect(result.metrics).toMatchObject({ status_code: 200, body_bytes: 13, body_truncated: 0, redirects: 0, dns_ms: 0 });
    for (const name of ['connect_ms', 'ttfb_ms', 'total_ms']) expect(result.metrics[name]).toBeGreaterThan(0);
    expect(result.metrics['total_ms']).toBeGreaterThanOrEqual(result.metrics['ttfb_ms']!);
    expect(result.metrics).not.toHaveProperty('tls_ms');
  });

  it('times the DNS lookup for a name', async () => {
    const result = await httpCheck.run(configFor(`${base.replace('127.0.0.1', 'localhost')}/ok`, { ip_version: 4 }), context());
    expect(result.observation).toBe('ok');
    expect(result.metrics['dns_ms']).toBeGreaterThan(0);
  });

  it('is CRITICAL status for a 404, OK when 4xx is expected', async () => {
    const missing = await httpCheck.run(configFor(`${base}/missing`), context());
    expect([missing.status, missing.observation]).toEqual(['CRITICAL', 'status']);
    expect(missing.message).toContain('404 Not Found, expected 200-399');
    expect(missing.metrics['status_code']).toBe(404);
    expect(Buffer.from(missing.transcript!).toString()).toMatch(/^> GET \/missing\n< 404 Not Found\n[\s\S]*\n\nnope$/);
    const allowed = await httpCheck.run(configFor(`${base}/missing`, { expect_status: ['4xx'] }), context());
    expect(allowed.observation).toBe('ok');
  });

  it('checks the body against expect_body and expect_body_not', async () => {
    const match = await httpCheck.run(configFor(`${base}/ok`, { expect_body: 'hello \\w+' }), context());
    expect(match.observation).toBe('ok');
    const miss = await httpCheck.run(configFor(`${base}/ok`, { expect_body: 'goodbye' }), context());
    expect([miss.status, miss.observation]).toEqual(['CRITICAL', 'body_mismatch']);
    expect(miss.message).toContain('body does not match /goodbye/');
    const forbidden = await httpCheck.run(configFor(`${base}/ok`, { expect_body_not: 'outpost' }), context());
    expect([forbidden.status, forbidden.observation]).toEqual(['CRITICAL', 'body_mismatch']);
  });

  it('checks expect_headers, case-insensitively by name', async () => {
    const good = await httpCheck.run(configFor(`${base}/ok`, { expect_headers: { 'x-outpost': '^probe-\\d+$', 'Content-Type': 'text/plain' } }), context());
    expect(good.observation).toBe('ok');
    const bad = await httpCheck.run(configFor(`${base}/ok`, { expect_headers: { 'X-Outpost': '^other$' } }), context());
    expect([bad.status, bad.observation]).toEqual(['CRITICAL', 'header_mismatch']);
    expect(bad.message).toContain('header X-Outpost: "probe-42" does not match /^other$/');
    const missing = await httpCheck.run(configFor(`${base}/ok`, { expect_headers: { 'X-Missing': '.' } }), context());
    expect(missing.message).toContain('header X-Missing missing');
  });

  it('sends method, headers and body', async () => {
    const config = configFor(`${base}/echo`, { method: 'post', headers: { 'X-Token': 'abc' }, body: 'ping=1', expect_body: '^POST abc ping=1$' });
    const result = await httpCheck.run(config, context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    const head = await httpCheck.run(configFor(`${base}/ok`, { method: 'HEAD' }), context());
    expect(head.observation).toBe('ok');
    expect(head.metrics['body_bytes']).toBe(0);
  });

  it('stops reading at max_body_bytes and marks the body truncated', async () => {
    const result = await httpCheck.run(configFor(`${base}/big`, { max_body_bytes: 65_536 }), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.metrics).toMatchObject({ body_bytes: 65_536, body_truncated: 1 });
    expect(result.message).toContain('truncated at max_body_bytes 65536');
  });
});

describe('http check: redirects', () => {
  it('follows a 301 → 302 chain to a 200 and counts the hops', async () => {
    const result = await httpCheck.run(configFor(`${base}/r1`), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.metrics).toMatchObject({ redirects: 2, status_code: 200 });
    expect(result.message).toContain(`GET ${base}/ok → 200 OK after 2 redirects`);
  });

  it('judges the redirect itself when follow_redirects is false', async () => {
    const as3xx = await httpCheck.run(configFor(`${base}/r1`, { follow_redirects: false }), context());
    expect(as3xx.observation).toBe('ok');
    expect(as3xx.metrics).toMatchObject({ redirects: 0, status_code: 301 });
    const strict = await httpCheck.run(configFor(`${base}/r1`, { follow_redirects: false, expect_status: [200] }), context());
    expect(strict.observation).toBe('status');
  });

  it('stops a redirect loop', async () => {
    const result = await httpCheck.run(configFor(`${base}/loop-a`), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'too_many_redirects']);
    expect(result.message).toContain(`redirect loop back to ${base}/loop-a`);
  });

  it('stops after max_redirects', async () => {
    const result = await httpCheck.run(configFor(`${base}/deep/7`), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'too_many_redirects']);
    expect(result.metrics['redirects']).toBe(5);
    const enough = await httpCheck.run(configFor(`${base}/deep/7`, { max_redirects: 8 }), context());
    expect(enough.metrics).toMatchObject({ redirects: 8, status_code: 200 });
  });

  it('does not follow a redirect to a non-http scheme', async () => {
    const result = await httpCheck.run(configFor(`${base}/ftp`), context());
    expect(result.observation).toBe('ok');
    expect(result.metrics).toMatchObject({ redirects: 0, status_code: 302 });
  });

  it('turns a POST into a GET without body on 303', async () => {
    const result = await httpCheck.run(configFor(`${base}/see-other`, { method: 'POST', body: 'x=1', expect_body: '^GET - $' }), context());
    expect([result.observation, result.metrics['redirects']]).toEqual(['ok', 1]);
  });
});

describe('http check: failures as data', () => {
  it('returns timeout promptly when the server stalls (headers sent or not)', async () => {
    for (const path of ['/slow', '/stall']) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 300);
      const started = performance.now();
      try {
        const result = await httpCheck.run(configFor(`${base}${path}`), { signal: controller.signal, timeoutMs: 300 });
        expect([result.status, result.observation]).toEqual(['CRITICAL', 'timeout']);
        expect(result.message).toContain(path === '/slow' ? 'while reading the body' : 'while waiting for the response');
        expect(result.metrics['connect_ms']).toBeGreaterThan(0);
        expect(performance.now() - started).toBeLessThan(10_000);
      } finally {
        clearTimeout(timer);
      }
    }
  });

  it('is CRITICAL refused on a closed port', async () => {
    const probe = createTcpServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((done) => probe.close(done));
    const result = await httpCheck.run(configFor(`http://127.0.0.1:${port}/`), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'refused']);
    expect(result.metrics['total_ms']).toBeGreaterThan(0);
  });
});

describe('http check: https', () => {
  let selfSignedUrl: string;
  let privateCaUrl: string;
  let caFile: string;

  beforeAll(async () => {
    const self = await mintTestCert();
    selfSignedUrl = `https://127.0.0.1:${await listen(createHttpsServer({ key: self.keyPem, cert: self.certPem }, route))}/ok`;
    const ca = await mintTestCa();
    const leaf = await mintTestCert({ issuer: ca });
    privateCaUrl = `https://127.0.0.1:${await listen(createHttpsServer({ key: leaf.keyPem, cert: leaf.certPem + ca.certPem }, route))}/ok`;
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
  });

  it('is CRITICAL tls_failed for a self-signed cert, with the reason', async () => {
    const result = await httpCheck.run(configFor(selfSignedUrl), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'tls_failed']);
    expect(result.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.metrics['connect_ms']).toBeGreaterThan(0);
  });

  it('is OK for a self-signed cert with tls_verify: false, with TLS timing and cert days', async () => {
    const result = await httpCheck.run(configFor(selfSignedUrl, { tls_verify: false }), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.metrics['tls_ms']).toBeGreaterThan(0);
    expect(result.metrics['cert_days_left']).toBeGreaterThan(29);
    expect(result.metrics['cert_days_left']).toBeLessThan(31);
  });

  it('verifies a private-CA chain with `ca`, and fails it without', async () => {
    const trusted = await httpCheck.run(configFor(privateCaUrl, { ca: caFile }), context());
    expect([trusted.status, trusted.observation]).toEqual(['OK', 'ok']);
    const untrusted = await httpCheck.run(configFor(privateCaUrl), context());
    expect(untrusted.observation).toBe('tls_failed');
    const unreadable = await httpCheck.run(configFor(privateCaUrl, { ca: join(dir, 'missing.pem') }), context());
    expect([unreadable.status, unreadable.observation]).toEqual(['UNKNOWN', 'error']);
  });
});

describe('http check: config', () => {
  const issues = (input: unknown) => {
    const parsed = httpCheck.schema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('fills defaults', () => {
    const config = httpCheck.schema.parse({ url: 'http://127.0.0.1/' });
    expect(config).toMatchObject({ method: 'GET', follow_redirects: true, max_redirects: 5, tls_verify: true, max_body_bytes: 1_048_576 });
    expect(config.expect_status).toEqual([{ min: 200, max: 399, text: '200-399' }]);
    expect(httpCheck.describe(config)).toBe('http://127.0.0.1/');
  });

  it('accepts codes, classes and ranges in expect_status', () => {
    const config = httpCheck.schema.parse({ url: 'http://a/', expect_status: [204, '3xx', '400-404'] });
    expect(config.expect_status.map((range) => [range.min, range.max])).toEqual([[204, 204], [300, 399], [400, 404]]);
    expect(httpCheck.schema.parse({ url: 'http://a/', expect_status: '2xx' }).expect_status).toEqual([{ min: 200, max: 299, text: '2xx' }]);
  });

  it('rejects bad URLs, status classes, regexes and unknown keys', () => {
    expect(issues({ url: 'not a url' })).toEqual(['url: expected an absolute http:// or https:// URL, got "not a url"']);
    expect(issues({ url: 'ftp://127.0.0.1/' })[0]).toContain('got scheme "ftp:"');
    expect(issues({ url: 'http://a/', expect_status: ['6xx'] })).toEqual([
      'expect_status.0: expected a status code such as 200, a class such as "2xx" or a range such as "200-299", got "6xx"',
    ]);
    expect(issues({ url: 'http://a/', expect_body: '(' })[0]).toMatch(/^expect_body: expected a regular expression, got "\("/);
    expect(issues({ url: 'http://a/', headers: { 'X-A': 'a\r\nb' } })[0]).toContain('line breaks');
    expect(issues({ url: 'http://a/', timeout_ms: 1 })[0]).toContain('timeout_ms');
  });
});
