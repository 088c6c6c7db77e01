/**
 * X.509 certificates for TLS specs, made with node:crypto alone (no openssl,
 * so `npm test` needs nothing but `npm install`): node:crypto makes the keys
 * and the signatures, and a small DER writer below lays out the certificate
 * (RFC 5280). EC P-256 keys, ECDSA with SHA-256, valid from an hour ago for
 * a day. A CA, a server certificate for 127.0.0.1 / localhost / ::1, and a
 * client certificate, all signed by the CA.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ---- a minimal DER writer ---------------------------------------------------

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else if (n < 0x100) header = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) header = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else throw new Error('DER element too long for this writer');
  return Buffer.concat([header, content]);
}

const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => der(0xa0 + n, inner);
const octets = (content: Buffer) => der(0x04, content);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, 'utf8'));
const bool = (value: boolean) => der(0x01, Buffer.from([value ? 0xff : 0]));
/** A bit string whose last byte has `unusedBits` padding bits. */
const bits = (content: Buffer, unusedBits = 0) => der(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));

function integer(value: Buffer): Buffer {
  let v = value;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  // A leading 1 bit would make it negative.
  if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return der(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const groups = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(text, 'ascii'));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const name = (commonName: string) => seq(set(seq(oid(OID.commonName), utf8(commonName))));

function ipBytes(ip: string): Buffer {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head!);
  const t = words(tail);
  const all = ip.includes('::') ? [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  return out;
}

// ---- certificates -------------------------------------------------------------

export interface KeyAndCert {
  /** PKCS#8 private key, PEM. */
  readonly key: string;
  /** The certificate, PEM. */
  readonly cert: string;
}

interface Issued extends KeyAndCert {
  readonly privateKey: KeyObject;
  readonly keyId: Buffer;
  readonly commonName: string;
}

interface CertRequest {
  commonName: string;
  issuer?: Issued;
  ca?: boolean;
  dns?: string[];
  ips?: string[];
  usage?: 'server' | 'client';
}

function issue(request: CertRequest): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The key identifier: SHA-1 of the public key bits (RFC 5280 4.2.1.2, method 1); for P-256 they end the SPKI.
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
  const issuer = request.issuer;
  const now = Date.now();

  const extensions: Buffer[] = [
    extension(OID.basicConstraints, true, request.ca ? seq(bool(true)) : seq()),
    // CA: keyCertSign + cRLSign (bits 5, 6); others: digitalSignature (bit 0).
    extension(OID.keyUsage, true, request.ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0x80]), 7)),
    extension(OID.subjectKeyIdentifier, false, octets(keyId)),
  ];
  if (issuer) extensions.push(extension(OID.authorityKeyIdentifier, false, seq(der(0x80, issuer.keyId))));
  if (request.usage) extensions.push(extension(OID.extKeyUsage, false, seq(oid(request.usage === 'server' ? OID.serverAuth : OID.clientAuth))));
  const altNames = [
    ...(request.dns ?? []).map((d) => der(0x82, Buffer.from(d, 'ascii'))),
    ...(request.ips ?? []).map((ip) => der(0x87, ipBytes(ip))),
  ];
  if (altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, seq(...altNames)));

  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(randomBytes(12)),
    algorithm,
    name(issuer ? issuer.commonName : request.commonName),
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name(request.commonName),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer ? issuer.privateKey : privateKey);
  const certificate = seq(tbs, algorithm, bits(signature));
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    privateKey,
    keyId,
    commonName: request.commonName,
  };
}

export interface TestCertificates {
  /** The CA's certificate (PEM): what clients and servers trust. */
  readonly ca: string;
  /** For 127.0.0.1, ::1 and localhost. */
  readonly server: KeyAndCert;
  readonly client: KeyAndCert;
}

/** A fresh CA with a server and a client certificate signed by it. */
export function makeTestCertificates(caName = 'rxbridge test CA'): TestCertificates {
  const ca = issue({ commonName: caName, ca: true });
  const strip = ({ key, cert }: KeyAndCert): KeyAndCert => ({ key, cert });
  return {
    ca: ca.cert,
    server: strip(issue({ commonName: 'localhost', issuer: ca, dns: ['localhost'], ips: ['127.0.0.1', '::1'], usage: 'server' })),
    client: strip(issue({ commonName: 'rxbridge test client', issuer: ca, usage: 'client' })),
  };
}

/**
 * Writes certificates in the layout libnbd and nbdkit read from
 * `tls-certificates=DIR`: ca-cert.pem, server-cert.pem, server-key.pem,
 * client-cert.pem, client-key.pem. Returns the folder and its remover.
 */
export async function writeCertificateDir(certs: TestCertificates): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rxbridge-tls-'));
  await Promise.all([
    writeFile(join(dir, 'ca-cert.pem'), certs.ca),
    writeFile(join(dir, 'server-cert.pem'), certs.server.cert),
    writeFile(join(dir, 'server-key.pem'), certs.server.key, { mode: 0o600 }),
    writeFile(join(dir, 'client-cert.pem'), certs.client.cert),
    writeFile(join(dir, 'client-key.pem'), certs.client.key, { mode: 0o600 }),
  ]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

