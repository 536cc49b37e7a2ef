import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { ErrorCode, OutpostError } from './errors.js';

// Node-only: reached as `@outpost/protocol/media-file`, never from the package's main entry,
// which does no I/O. The agent writes export media with it, the collector reads and writes
// import media and receipts with it.

/** What sits at `path` without following a symlink; undefined when nothing does. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Read a regular file from media someone else wrote (an export directory), at most
 * `maxBytes`. A symlink, FIFO or device is refused by name: size checks on them mean
 * nothing (a link to /dev/zero has size 0 and never ends), and following a link reads
 * files the media's author chose. Undefined when nothing is at `path`.
 *
 * @example
 * const bytes = readMediaFile(join(dir, 'manifest.json'), 64 * 1024 * 1024);
 */
export function readMediaFile(path: string, maxBytes: number): Buffer | undefined {
  const name = basename(path);
  const before = lstatOrUndefined(path);
  if (!before) return undefined;
  if (!before.isFile()) throw new OutpostError(ErrorCode.BAD_FRAME, `${name} is ${kindOf(before)}, not a regular file: refused`);
  if (before.size > maxBytes) throw new OutpostError(ErrorCode.LIMIT, `${name}: ${before.size} bytes exceeds max ${maxBytes}`);
  // O_NONBLOCK: a FIFO swapped in after the lstat must not block the open.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `${name} changed while it was opened: refused`);
    }
    // Read to the end, not to the stat's size (a file can grow, procfs reports 0), and one
    // byte past the limit at most, to tell a file that fits from one that does not.
    const chunks: Buffer[] = [];
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let length = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes + 1 - length), null);
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      length += n;
      if (length > maxBytes) throw new OutpostError(ErrorCode.LIMIT, `${name}: more than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `data` to `path` durably: a temporary name beside it, fsync, then rename, so no
 * half file carries the final name. The temporary name is created exclusively and never
 * through a symlink: one planted on the media would otherwise make us truncate its target.
 * A regular file left there by a crash is replaced; anything else is refused.
 *
 * @example
 * writeMediaFile(join(dir, 'receipt.json'), `${JSON.stringify(receipt)}\n`, 0o644);
 */
export function writeMediaFile(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = `${path}.tmp`;
  const left = lstatOrUndefined(tmp);
  if (left && !left.isFile()) throw new OutpostError(ErrorCode.CONFIG, `${tmp} is ${kindOf(left)}, not a file this program left: refusing to write through it; remove it`);
  if (left) unlinkSync(tmp);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
