/**
 * TLS certificates as users hand them over (PEM text): reading them and every check `certs:add`
 * makes before a certificate is stored, with node:crypto's X509Certificate. Pure: no I/O, and the
 * clock is a parameter. Each refusal is a SlipwayError('invalid_certificate') whose message is one
 * line saying what is wrong and what to do.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import tls from 'node:tls';
import { SlipwayError } from '../lib/errors';

export interface CheckedCertificate {
  /** The leaf's DNS names, lowercase, as written (`*.example.com` included): its SANs, or its CN when it has none. */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the leaf, `AB:CD:…`, as `openssl x509 -noout -fingerprint -sha256` prints it. */
  fingerprint: string;
  /** The leaf's subject and issuer, one line each (`CN=shop.example.com, O=Shop`). */
  subject: string;
  issuer: string;
  selfSigned: boolean;
  /** The certificate chain to serve, leaf first: the PEM blocks of the file, re-joined. */
  chainPem: string;
  /** The private key's PEM block, as given (stored as is). */
  keyPem: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;
const ANY_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED |OPENSSH )?PRIVATE KEY-----/;
/** An SSH key (`ssh-keygen`'s format) is a private key too, but not one TLS can use. */
const OPENSSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----';

/** A certificate issued by a CA whose clock runs a little ahead is still accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function refuse(message: string): SlipwayError {
  return new SlipwayError('invalid_certificate', message);
}

/** `2027-01-31` (UTC): what users compare with their CA's e-mails. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `CN=shop.example.com\nO=Shop` → `CN=shop.example.com, O=Shop`. */
function oneLineName(name: string): string {
  return name.split('\n').filter((part) => part !== '').join(', ');
}

/** The DNS names of a certificate: its subjectAltName DNS entries, or else its subject's CN. */
export function certificateNames(certificate: X509Certificate): string[] {
  const names = new Set<string>();
  for (const entry of splitSubjectAltName(certificate.subjectAltName ?? '')) {
    if (entry.startsWith('DNS:')) names.add(normalizeName(entry.slice('DNS:'.length)));
  }
  if (names.size === 0) {
    // RFC 6125 ignores the CN once there are DNS SANs; without them, the CN is the name.
    const cn = certificate.subject.split('\n').find((part) => part.startsWith('CN='));
    if (cn) names.add(normalizeName(cn.slice('CN='.length)));
  }
  names.delete('');
  return [...names];
}

/** `DNS:a.com, DNS:b.com` → entries; quoted entries (node quotes unusual ones) are unquoted. */
function splitSubjectAltName(value: string): string[] {
  return value
    .split(/,\s*/)
    .map((entry) => entry.trim())
    .map((entry) => entry.replace(/^(DNS:)"(.*)"$/, '$1$2'))
    .filter((entry) => entry !== '');
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Does a certificate name cover an app's domain? The same name does (`*.example.com` covers the
 * wildcard domain `*.example.com`); a wildcard name covers one more label (`*.example.com` covers
 * `shop.example.com`, not `example.com` nor `a.b.example.com`). A plain name never covers a
 * wildcard domain.
 */
export function nameCovers(certName: string, domain: string): boolean {
  if (certName === domain) return true;
  if (!certName.startsWith('*.') || domain.startsWith('*.')) return false;
  const dot = domain.indexOf('.');
  return dot > 0 && domain.slice(dot + 1) === certName.slice(2);
}

export function certificateCovers(names: readonly string[], domain: string): boolean {
  return names.some((name) => nameCovers(name, domain));
}

/**
 * Reads and checks a certificate (file content: the leaf first, then any intermediates) and its
 * private key. Refuses: input that is not PEM (or the two files swapped), an encrypted key, a key
 * that is not the certificate's, a certificate that is expired or not valid yet, one that names
 * no host, and a pair TLS cannot use.
 */
export function checkCertificate(certificatePem: string, privateKeyPem: string, now: Date): CheckedCertificate {
  const blocks = certificatePem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    if (ANY_KEY.test(certificatePem)) {
      throw refuse('The certificate file holds a private key, not a certificate: give the certificate file first, then the key file (certs:add APP CERT_FILE KEY_FILE).');
    }
    throw refuse('The certificate is not in PEM format: give the certificate file, which starts with "-----BEGIN CERTIFICATE-----" (convert a DER file with: openssl x509 -inform der -in CERT -out cert.pem).');
  }
  const certificates = blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      const which = index === 0 ? 'The certificate' : `Certificate ${index + 1} of the chain`;
      throw refuse(`${which} in the certificate file is not a valid X.509 certificate (${reason(error)}): check the file is a complete PEM certificate.`);
    }
  });
  const leaf = certificates[0]!;
  const key = readPrivateKey(privateKeyPem);

  const subject = oneLineName(leaf.subject);
  if (!leaf.checkPrivateKey(key.object)) {
    throw refuse(`The private key does not match the certificate (${subject}): give the key that this certificate was issued for, and the certificate first in its file.`);
  }

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (Number.isNaN(notAfter.getTime()) || Number.isNaN(notBefore.getTime())) {
    throw refuse(`The certificate's validity dates cannot be read ("${leaf.validFrom}" to "${leaf.validTo}").`);
  }
  if (notAfter.getTime() <= now.getTime()) {
    throw refuse(`The certificate (${subject}) expired on ${isoDay(notAfter)}: renew it with your certificate authority and add the new one.`);
  }
  if (notBefore.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw refuse(`The certificate (${subject}) is not valid before ${notBefore.toISOString()}: check this server's clock, or add it once it is valid.`);
  }

  const names = certificateNames(leaf);
  if (names.length === 0) {
    throw refuse(`The certificate (${subject}) names no host (no DNS subjectAltName and no CN), so it cannot serve any domain.`);
  }

  const chainPem = `${blocks.join('\n')}\n`;
  try {
    tls.createSecureContext({ cert: chainPem, key: key.pem });
  } catch (error) {
    throw refuse(`The certificate and key cannot be used for TLS (${reason(error)}): check both files.`);
  }

  return {
    names,
    notBefore,
    notAfter,
    fingerprint: leaf.fingerprint256,
    subject,
    issuer: oneLineName(leaf.issuer),
    selfSigned: leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey),
    chainPem,
    keyPem: key.pem,
  };
}

function readPrivateKey(privateKeyPem: string): { object: KeyObject; pem: string } {
  const blocks = [...privateKeyPem.matchAll(KEY_BLOCK)];
  if (blocks.length === 0) {
    if (privateKeyPem.includes(OPENSSH_KEY)) {
      throw refuse('The key file holds an SSH key, not a TLS private key: give the key your certificate was issued for ("-----BEGIN PRIVATE KEY-----").');
    }
    if (privateKeyPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw refuse('The key file holds a certificate, not a private key: give the certificate file first, then the key file (certs:add APP CERT_FILE KEY_FILE).');
    }
    throw refuse('The private key is not in PEM format: give the key file, which starts with "-----BEGIN PRIVATE KEY-----" (or RSA/EC PRIVATE KEY).');
  }
  if (blocks.length > 1) {
    throw refuse(`The key file holds ${blocks.length} private keys: give a file with only the certificate's key.`);
  }
  const match = blocks[0]!;
  const pem = match[0];
  const label = match[1];
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw refuse('The private key is encrypted with a passphrase: decrypt it first (openssl pkey -in KEY_FILE -out plain.key) and give the decrypted file.');
  }
  try {
    return { object: createPrivateKey(pem), pem: `${pem.trim()}\n` };
  } catch (error) {
    throw refuse(`The private key cannot be read (${reason(error)}): check the key file is complete.`);
  }
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

/** Subject, issuer and self-signedness of a stored chain's leaf, for listings; null if it no longer parses. */
export function describeCertificate(chainPem: string): { subject: string; issuer: string; selfSigned: boolean } | null {
  const first = chainPem.match(CERT_BLOCK)?.[0];
  if (!first) return null;
  try {
    const leaf = new X509Certificate(first);
    return { subject: oneLineName(leaf.subject), issuer: oneLineName(leaf.issuer), selfSigned: leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey) };
  } catch {
    return null;
  }
}
