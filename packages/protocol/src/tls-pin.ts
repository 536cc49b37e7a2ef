import { createHash, X509Certificate } from 'node:crypto';
import { ErrorCode, OutpostError } from './errors.js';

/**
 * SHA-256 over the certificate's SubjectPublicKeyInfo (DER), as lowercase hex. Agents pin
 * this instead of trusting a CA, the way SSH pins host keys: the certificate may be
 * re-issued with the same key without touching any agent.
 */
export function spkiFingerprint(cert: X509Certificate | string | Uint8Array): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * Normalise a fingerprint written by a person: accepts upper case, colons and an optional
 * `sha256:` prefix; throws OUTPOST_ERR_CONFIG otherwise.
 */
export function parseFingerprint(text: string): string {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new OutpostError(
      ErrorCode.CONFIG,
      `TLS fingerprint "${text.slice(0, 80)}" is not a SHA-256 in hex (64 hex digits, colons allowed)`,
    );
  }
  return hex;
}
