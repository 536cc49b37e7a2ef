import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeKey,
  encodeKey,
  endorseCollectorKey,
  ErrorCode,
  formatSecretKeyFile,
  generateKeyPair,
  OutpostError,
  parseSecretKeyFile,
  spkiFingerprint,
  type KeyEndorsementInit,
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
    endorsement: join(dir, 'collector.key.endorsement'),
    apiToken: join(dir, 'api-token'),
  };
}

export interface CollectorIdentity {
  keyPair: KeyPair;
  publicKey: string;
  tlsKeyPem: string;
  tlsCertPem: string;
  /** SPKI SHA-256 of the TLS certificate, the value agents pin. */
  tlsFingerprint: string;
  /** After a key rotation, until it expires: the previous key vouching for this one. */
  endorsement?: KeyEndorsementInit;
}

interface EndorsementFile {
  oldKey: string;
  signature: string;
  notAfterMs: number;
}

function readEndorsement(path: string, now: number): KeyEndorsementInit | undefined {
  if (!existsSync(path)) return undefined;
  const file = JSON.parse(readFileSync(path, 'utf8')) as EndorsementFile;
  if (file.notAfterMs <= now) return undefined;
  return { oldKey: decodeKey(file.oldKey, `${path}: oldKey`), signature: Buffer.from(file.signature, 'base64url'), notAfterMs: file.notAfterMs };
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
  const endorsement = readEndorsement(files.endorsement, Date.now());
  return {
    keyPair,
    publicKey: encodeKey(keyPair.publicKey),
    tlsKeyPem,
    tlsCertPem,
    tlsFingerprint: spkiFingerprint(tlsCertPem),
    ...(endorsement ? { endorsement } : {}),
  };
}

/**
 * The operator token for the HTTP API's writes (and reads when `api.read: token`). Created
 * on first use (mode 0600), so data directories made before it existed get one too.
 */
export function loadApiToken(dir: string): string {
  const path = dataFiles(dir).apiToken;
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err: unknown) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readSecret(path).trim();
}

/**
 * Replace the collector's Ed25519 key. The old key signs the new one; for `overlapMs` every
 * Challenge carries that endorsement, and agents pinned to the old key move to the new one
 * on their own. The old key file is kept as `collector.key.old-<time>`. The TLS key is not
 * touched, so agents' certificate pins stay valid. Restart the collector to use the new key.
 */
export function rotateCollectorKey(dir: string, overlapMs: number, now = Date.now()): { oldKey: string; newKey: string; until: string } {
  const files = dataFiles(dir);
  const old = parseSecretKeyFile(readSecret(files.key), files.key);
  const next = generateKeyPair();
  const endorsement = endorseCollectorKey(old, next.publicKey, now + overlapMs);
  const record: EndorsementFile = {
    oldKey: encodeKey(old.publicKey),
    signature: Buffer.from(endorsement.signature!).toString('base64url'),
    notAfterMs: now + overlapMs,
  };
  renameSync(files.key, `${files.key}.old-${now}`);
  writeFileSync(files.key, formatSecretKeyFile(next), { mode: 0o600, flag: 'wx' });
  writeFileSync(files.endorsement, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return { oldKey: record.oldKey, newKey: encodeKey(next.publicKey), until: new Date(now + overlapMs).toISOString() };
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
  // Creates the file; an existing older one is left for `run` to migrate (SqliteStore.open).
  const store = SqliteStore.open(files.database, undefined, { migrate: false });
  await store.close();
  loadApiToken(dir);
  return { ...loadIdentity(dir), created };
}
