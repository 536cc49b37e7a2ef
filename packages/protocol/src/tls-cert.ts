import { randomBytes, webcrypto } from 'node:crypto';

/**
 * Mint a self-signed TLS certificate (ECDSA P-256, 10 years) for a collector or a relay.
 * Agents pin its SPKI hash, so no CA and no host name are involved. @peculiar/x509 over
 * WebCrypto does this in-process; Node has no certificate builder of its own. It is loaded
 * only when a certificate is made, so the rest of this package stays free of it.
 *
 * @example
 * const { keyPem, certPem } = await createSelfSignedCertificate('outpost-relay');
 */
export async function createSelfSignedCertificate(commonName: string): Promise<{ keyPem: string; certPem: string }> {
  // Loaded only here, where a certificate is made: @peculiar/x509 needs the reflect-metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as unknown as import('@peculiar/x509').X509CertificateCreateSelfSignedParams['keys'];
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString('pem') };
}
