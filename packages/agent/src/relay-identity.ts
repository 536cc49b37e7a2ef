import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate, encodeKey, spkiFingerprint } from '@outpost/protocol';
import type { AgentConfig } from './config.js';
import { loadKeyFile } from './key-file.js';

/** What a downstream agent pins for this relay: its Ed25519 key (the agent key) and TLS key. */
export interface RelayIdentity {
  relayKey: string;
  tlsKeyPem: string;
  tlsCertPem: string;
  tlsFingerprint: string;
}

/** The relay's TLS files in the agent's data directory. */
export function relayTlsFiles(dataDir: string): { key: string; cert: string } {
  return { key: join(dataDir, 'relay-tls.key'), cert: join(dataDir, 'relay-tls.crt') };
}

/**
 * The relay's identity: its agent key signs Challenges and Welcomes downstream, and a
 * self-signed certificate (made on first use, kept in the data directory, key mode 0600)
 * carries TLS, pinned downstream by its SPKI SHA-256 exactly like a collector's.
 *
 * @example
 * const { relayKey, tlsFingerprint } = await ensureRelayIdentity(config); // for the downstream agents' config
 */
export async function ensureRelayIdentity(config: Pick<AgentConfig, 'dataDir' | 'keyFile' | 'name'>): Promise<RelayIdentity> {
  const files = relayTlsFiles(config.dataDir);
  if (!existsSync(files.key) || !existsSync(files.cert)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const { keyPem, certPem } = await createSelfSignedCertificate(`outpost-relay ${config.name}`);
    writeFileSync(files.key, keyPem, { mode: 0o600 });
    writeFileSync(files.cert, certPem, { mode: 0o644 });
  }
  const tlsCertPem = readFileSync(files.cert, 'utf8');
  return {
    relayKey: encodeKey(loadKeyFile(config.keyFile).publicKey),
    tlsKeyPem: readFileSync(files.key, 'utf8'),
    tlsCertPem,
    tlsFingerprint: spkiFingerprint(tlsCertPem),
  };
}
