/**
 * Test support: mint throwaway X.509 certificates for TLS peers in tests (tls, http, tcp
 * starttls). ECDSA P-256 keys keep minting fast on a small machine. Not used at runtime.
 *
 * @example
 * const ca = await mintTestCa();
 * const leaf = await mintTestCert({ issuer: ca, notAfter: daysFromNow(5) });
 * tls.createServer({ key: leaf.keyPem, cert: leaf.certPem + ca.certPem });
 */
import { webcrypto } from 'node:crypto';
// @peculiar/x509 needs a reflect-metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface TestCert {
  keyPem: string;
  certPem: string;
  /** The subject DN as written, e.g. `CN=test`. */
  subject: string;
}

/** A CA that can sign leaves; keeps its key pair for {@link mintTestCert}. */
export interface TestCa extends TestCert {
  readonly keys: webcrypto.CryptoKeyPair;
}

export interface TestCertOptions {
  /** Subject common name. Default `test`. */
  commonName?: string;
  /** DNS names in the subjectAltName. Default `['localhost']`. */
  dnsNames?: string[];
  /** IP addresses in the subjectAltName. Default `['127.0.0.1', '::1']`. */
  ipAddresses?: string[];
  /** Default one hour ago, so clock skew between minting and use does not matter. */
  notBefore?: Date;
  /** Default 30 days from now. */
  notAfter?: Date;
  /** Sign with this CA; without it the certificate is self-signed. */
  issuer?: TestCa;
}

/** `now + days`, for notBefore/notAfter; negative days are in the past. */
export function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * DAY_MS);
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

// Each PEM ends in a newline so `leaf.certPem + ca.certPem` is a valid chain file.
async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

function certPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

function serialNumber(): string {
  // Positive (high bit clear) and unique so OpenSSL never confuses two test certificates.
  const bytes = webcrypto.getRandomValues(new Uint8Array(8));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign). */
export async function mintTestCa(options: Pick<TestCertOptions, 'commonName' | 'notBefore' | 'notAfter'> = {}): Promise<TestCa> {
  const keys = await generateKeys();
  const subject = `CN=${options.commonName ?? 'Outpost Test CA'}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    notBefore: options.notBefore ?? daysFromNow(-1),
    notAfter: options.notAfter ?? daysFromNow(365),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, keyPem: await keyPem(keys.privateKey), certPem: certPem(cert), subject };
}

/**
 * A server certificate: self-signed, or signed by `options.issuer`. Serve a CA-signed leaf
 * as `leaf.certPem + ca.certPem` to send the chain.
 */
export async function mintTestCert(options: TestCertOptions = {}): Promise<TestCert> {
  const keys = await generateKeys();
  const subject = `CN=${options.commonName ?? 'test'}`;
  const names = [
    ...(options.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? ['127.0.0.1', '::1']).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const validity = {
    serialNumber: serialNumber(),
    notBefore: options.notBefore ?? new Date(Date.now() - 3_600_000),
    notAfter: options.notAfter ?? daysFromNow(30),
    signingAlgorithm: ALGORITHM,
  };
  const issuer = options.issuer;
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({
        ...validity,
        subject,
        issuer: issuer.subject,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
        extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)],
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...validity, name: subject, keys, extensions });
  return { keyPem: await keyPem(keys.privateKey), certPem: certPem(cert), subject };
}
