import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, formatSecretKeyFile, generateKeyPair, OutpostError, parseSecretKeyFile, type KeyPair } from '@outpost/protocol';

/**
 * Load the agent's Ed25519 key. A key file that group or others can read is refused:
 * whoever reads it can send results in this agent's name.
 */
export function loadKeyFile(path: string): KeyPair {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err: unknown) {
    throw new OutpostError(ErrorCode.CONFIG, `${path}: cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'}); run outpost-agent init`);
  }
  if ((mode & 0o077) !== 0) {
    throw new OutpostError(ErrorCode.CONFIG, `${path}: key file has mode ${(mode & 0o777).toString(8)}, expected 600 (chmod 600 ${path})`);
  }
  return parseSecretKeyFile(readFileSync(path, 'utf8'), path);
}

/** Create a new key file with mode 0600; refuses to overwrite an existing one. */
export function createKeyFile(path: string): KeyPair {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const keyPair = generateKeyPair();
  try {
    writeFileSync(path, formatSecretKeyFile(keyPair), { mode: 0o600, flag: 'wx' });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OutpostError(ErrorCode.CONFIG, `${path}: a key file exists already; refusing to replace an agent identity`);
    }
    throw err;
  }
  chmodSync(path, 0o600);
  return keyPair;
}

/** Where `outpost-agent rotate-key` puts the next key until the collector has accepted it. */
export function nextKeyPath(keyFile: string): string {
  return `${keyFile}.next`;
}

/** Create the next key (0600) beside the current one; an existing next key is kept. */
export function createNextKeyFile(keyFile: string): KeyPair {
  const next = nextKeyPath(keyFile);
  return existsSync(next) ? loadKeyFile(next) : createKeyFile(next);
}

/** The collector accepted the next key: it becomes the key, the old one is kept as `.old`. */
export function promoteNextKey(keyFile: string): void {
  renameSync(keyFile, `${keyFile}.old`);
  renameSync(nextKeyPath(keyFile), keyFile);
}
