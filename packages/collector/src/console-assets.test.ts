import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, createConsoleHandler } from './console-assets.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let root: string;
let server: Server;
let port: number;

/** Raw requests: fetch() would normalise "/console/../x" before sending it. */
function get(path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  // A console directory beside a secret, so a traversal that worked would be visible.
  root = mkdtempSync(join(tmpdir(), 'outpost-console-assets-'));
  const dir = join(root, 'console');
  mkdirSync(join(dir, 'views'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'app.js'), 'export const app = 1;');
  writeFileSync(join(dir, 'views', 'overview.js'), 'export const overview = 1;');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  writeFileSync(join(root, 'package.json'), '{"secret":true}');
  const serve = createConsoleHandler({ consoleDir: dir });
  server = createServer((req, res) => {
    if (serve(req, res)) return;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"api 404"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

describe('createConsoleHandler', () => {
  it('serves the index at / and /index.html with strict headers', async () => {
    for (const path of ['/', '/index.html', '/?x=1']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.body).toContain('<title>console</title>');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
  });

  it('serves files under /console/ including subdirectories, with their content types', async () => {
    const app = await get('/console/app.js');
    expect(app).toMatchObject({ status: 200, body: 'export const app = 1;' });
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/console/views/overview.js')).body).toBe('export const overview = 1;');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('/console/app.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String('export const app = 1;'.length));
    expect(res.body).toBe('');
  });

  it('refuses traversal, unknown extensions and missing files with 404', async () => {
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/%2E%2E%2Fpackage.json',
      '/console/..%2fpackage.json',
      '/console/views/../../package.json',
      '/console/%2fetc%2fpasswd',
      '/console/..\\package.json',
      '/console/app.js%00.js',
      '/console/%E0%A4%A',
      '/console/notes.txt',
      '/console/missing.js',
      '/console/views',
    ]) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).not.toContain('secret');
    }
  });

  it('serves uPlot from the installed package', async () => {
    const js = await get('/vendor/uplot.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('export { uPlot as default }');
    const css = await get('/vendor/uplot.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.uplot');
  });

  it('leaves other paths to the API and refuses writes to its own', async () => {
    const api = await get('/api/v1/agents');
    expect(api).toMatchObject({ status: 404, body: '{"error":"api 404"}' });
    expect((await get('/vendor/other.js')).body).toBe('{"error":"api 404"}');
    const post = await get('/console/app.js', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });
});
