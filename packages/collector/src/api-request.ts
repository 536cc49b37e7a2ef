import type { IncomingMessage } from 'node:http';

// What the HTTP API reads from a request: query parameters (times, limits, page cursors),
// bounded bodies, and HttpError, the one error that turns into a 4xx/5xx answer on purpose.

/** The one error the API throws on purpose; anything else becomes a plain 500. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_BODY_BYTES = 64 * 1024;

/** `since`/`until`: ISO 8601 or Unix milliseconds; undefined when absent. */
export function parseTime(name: string, text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new HttpError(400, `${name}: expected an ISO 8601 time or Unix milliseconds, got "${text}"`);
  return ms;
}

/** `limit`: an integer 1..max, `fallback` when absent. */
export function parseLimit(text: string | null, fallback = 100, max = 10_000): number {
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `limit: expected an integer 1..${max}, got "${text}"`);
  return n;
}

/** Cursors are opaque to clients: a position in the listing's order, base64url JSON. */
const encodeCursor = (position: number[]) => Buffer.from(JSON.stringify(position)).toString('base64url');

/** The position a `cursor` parameter holds (`length` integers), undefined when absent. */
export function decodeCursor(text: string | null, length: number): number[] | undefined {
  if (text === null || text === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === length && value.every((n) => Number.isSafeInteger(n))) return value as number[];
  } catch {
    // falls through to the error below
  }
  throw new HttpError(400, 'cursor: expected the "next" value of a previous page');
}

/**
 * A page of `limit` rows from a query asked for `limit + 1`, and the cursor after its last row.
 *
 * @example
 * const { rows, next } = page(await store.queryEvents({ limit: limit + 1 }), limit, (e) => [e.at, e.id]);
 */
export function page<T>(rows: T[], limit: number, position: (row: T) => number[]): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, next: encodeCursor(position(kept[kept.length - 1]!)) };
}

/** The whole body, or 413 as soon as it passes `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Leaving the loop destroys the request stream: the rest of the body is never read.
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body (empty counts as `{}`), at most 64 KiB. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new HttpError(400, 'expected a JSON object as the request body');
}
