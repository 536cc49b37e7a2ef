import { request } from 'node:http';
import { ErrorCode, isOutpostError } from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServer, parseMetricsListen } from './metrics-server.js';

let server: MetricsServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function call(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MetricsServer', () => {
  it('serves the text format at GET /metrics, rendered at each scrape', async () => {
    let scrapes = 0;
    server = new MetricsServer({ host: '127.0.0.1', port: 0, render: () => `scrapes ${++scrapes}\n` });
    const { port } = await server.start();
    const first = await call(port, 'GET', '/metrics');
    expect(first).toMatchObject({ status: 200, body: 'scrapes 1\n' });
    expect(first.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await call(port, 'GET', '/metrics?name[]=x')).body).toBe('scrapes 2\n');
  });

  it('answers 404 for other paths, 405 with Allow for other methods, 500 when rendering throws', async () => {
    const errors: unknown[] = [];
    let broken = false;
    server = new MetricsServer({
      host: '127.0.0.1',
      port: 0,
      render: () => {
        if (broken) throw new Error('secret detail');
        return 'ok 1\n';
      },
      logger: { error: (obj: unknown) => errors.push(obj) },
    });
    const { port } = await server.start();
    expect((await call(port, 'GET', '/')).status).toBe(404);
    expect((await call(port, 'GET', '/metrics/extra')).status).toBe(404);
    const post = await call(port, 'POST', '/metrics');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET');
    expect((await call(port, 'DELETE', '/metrics')).status).toBe(405);
    broken = true;
    const failed = await call(port, 'GET', '/metrics');
    expect(failed.status).toBe(500);
    expect(failed.body).not.toContain('secret');
    expect(errors).toEqual([{ err: 'secret detail' }]);
  });

  it('rejects start with the address when the port is taken', async () => {
    server = new MetricsServer({ host: '127.0.0.1', port: 0, render: () => '' });
    const { port } = await server.start();
    const second = new MetricsServer({ host: '127.0.0.1', port, render: () => '' });
    await expect(second.start()).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE`);
  });
});

describe('parseMetricsListen', () => {
  it('reads HOST:PORT, [v6]:PORT, and :PORT as loopback', () => {
    expect(parseMetricsListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseMetricsListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseMetricsListen('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(parseMetricsListen(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it.each(['9464', '', 'host', 'host:', 'host:port', '127.0.0.1:0', '127.0.0.1:65536', '::1:9464', 'a b:80', '127.0.0.1:9464/metrics'])('refuses %j with a config error naming --metrics', (text) => {
    let caught: unknown;
    try {
      parseMetricsListen(text);
    } catch (err: unknown) {
      caught = err;
    }
    expect(isOutpostError(caught) && caught.code).toBe(ErrorCode.CONFIG);
    expect((caught as Error).message).toMatch(/^--metrics .*expected HOST:PORT/);
  });
});
