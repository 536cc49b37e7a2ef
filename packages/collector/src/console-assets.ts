import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleAssetOptions {
  /** Directory holding index.html, app.js, … (default: `packages/collector/console/`). */
  consoleDir?: string;
}

/** Serves one request if it is the console's, and answers true; false for paths it does not own. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Everything the console loads comes from this listener: the console is used where there is
 * no internet. No inline script anywhere. uPlot styles its elements through the CSSOM
 * (`el.style.left = …`), which CSP does not restrict, so 'self' is enough for styles too.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** The console directory relative to the compiled file: dist/console-assets.js → ../console/. */
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

/** uPlot's browser build, from the installed package (never a CDN). */
function uplotFiles(): { js: string; css: string } {
  const root = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  return { js: join(root, 'dist', 'uPlot.esm.js'), css: join(root, 'dist', 'uPlot.min.css') };
}

/**
 * Maps a URL path to a file under `dir`, or null when it would leave `dir` (after decoding,
 * so `%2e%2e` and `..%2f` are caught as well as `..`) or has an extension we do not serve.
 */
export function resolveAsset(dir: string, relative: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const root = resolve(dir);
  const file = resolve(root, decoded);
  if (!file.startsWith(root + sep)) return null;
  return CONTENT_TYPES[extname(file)] ? file : null;
}

/**
 * Create the HTTP handler for the web console: `/` and `/index.html`, `/console/<file>` and
 * `/vendor/uplot.js|css`. The API server calls it first and routes on when it answers false.
 *
 * @example
 * const serveConsole = createConsoleHandler();
 * createServer((req, res) => {
 *   if (serveConsole(req, res)) return;
 *   routeApi(req, res);
 * });
 */
export function createConsoleHandler(options: ConsoleAssetOptions = {}): ConsoleHandler {
  const dir = resolve(options.consoleDir ?? DEFAULT_CONSOLE_DIR);
  let vendor: { js: string; css: string } | undefined;

  /** The file behind a path, null for "ours but not there", undefined for "not ours". */
  const locate = (path: string): string | null | undefined => {
    if (path === '/' || path === '/index.html') return join(dir, 'index.html');
    if (path.startsWith('/console/')) return resolveAsset(dir, path.slice('/console/'.length));
    if (path === '/vendor/uplot.js') return (vendor ??= uplotFiles()).js;
    if (path === '/vendor/uplot.css') return (vendor ??= uplotFiles()).css;
    return undefined;
  };

  return (req, res) => {
    // The raw path, not new URL(): the URL parser would resolve "/console/../x" to "/x",
    // which is then not ours and would fall through to the API instead of being refused here.
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const file = locate(path);
    if (file === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', Buffer.from('method not allowed\n'), req.method, { allow: 'GET, HEAD' });
      return true;
    }
    serveFile(req, res, file).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', Buffer.from('internal error\n'), req.method);
      else res.destroy();
    });
    return true;
  };
}

async function serveFile(req: IncomingMessage, res: ServerResponse, file: string | null): Promise<void> {
  const type = file ? CONTENT_TYPES[extname(file)] : undefined;
  if (!file || !type || !(await isFile(file))) {
    send(res, 404, 'text/plain; charset=utf-8', Buffer.from('not found\n'), req.method);
    return;
  }
  send(res, 200, type, await readFile(file), req.method);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, type: string, body: Buffer, method: string | undefined, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type, 'content-length': body.length });
  res.end(method === 'HEAD' ? undefined : body);
}
