import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeKey,
  ErrorCode,
  formatSecretKeyFile,
  generateKeyPair,
  OutpostError,
  parseSecretKeyFile,
  spkiFingerprint,
  type KeyPair,
} from '@outpost/protocol';
import { SqliteStore } from './sqlite-store.js';
import { createSelfSignedCertificate } from './tls-cert.js';

/** The files of a collector data directory. */
export function dataFiles(dir: string) {
  return {
    key: join(dir, 'collector.key'),
    tlsKey: join(dir, 'tls.key'),
    tlsCert: join(dir, 'tls.crt'),
    database: join(dir, 'collector.db'),
  };
}

export interface CollectorIdentity {
  keyPair: KeyPair;
  publicKey: string;
  tlsKeyPem: string;
  tlsCertPem: string;
  /** SPKI SHA-256 of the TLS certificate, the value agents pin. */
  tlsFingerprint: string;
}

/** Read a secret file, refusing one that group or others can read. */
function readSecret(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err: unknown) {
    throw new OutpostError(ErrorCode.CONFIG, `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'}); run outpost-collector init`);
  }
  if ((mode & 0o077) !== 0) {
    throw new OutpostError(ErrorCode.CONFIG, `${path}: mode ${(mode & 0o777).toString(8)} lets others read a secret, expected 600 (chmod 600 ${path})`);
  }
  return readFileSync(path, 'utf8');
}

/** Load the collector's identity (Ed25519 key, TLS key and certificate) from its data directory. */
export function loadIdentity(dir: string): CollectorIdentity {
  const files = dataFiles(dir);
  const keyPair = parseSecretKeyFile(readSecret(files.key), files.key);
  const tlsKeyPem = readSecret(files.tlsKey);
  const tlsCertPem = readFileSync(files.tlsCert, 'utf8');
  return { keyPair, publicKey: encodeKey(keyPair.publicKey), tlsKeyPem, tlsCertPem, tlsFingerprint: spkiFingerprint(tlsCertPem) };
}

/**
 * Create a data directory: Ed25519 key, self-signed TLS certificate, SQLite database.
 * An existing identity is kept (re-running init is safe); the database is migrated.
 */
export async function initDataDir(dir: string): Promise<CollectorIdentity & { created: boolean }> {
  const files = dataFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = !existsSync(files.key);
  if (created) {
    writeFileSync(files.key, formatSecretKeyFile(generateKeyPair()), { mode: 0o600, flag: 'wx' });
    const { keyPem, certPem } = await createSelfSignedCertificate('outpost-collector');
    writeFileSync(files.tlsKey, keyPem, { mode: 0o600 });
    writeFileSync(files.tlsCert, certPem, { mode: 0o644 });
  }
  const store = SqliteStore.open(files.database);
  await store.close();
  return { ...loadIdentity(dir), created };
}
