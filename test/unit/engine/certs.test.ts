import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { certificateCovers, certificateNames, checkCertificate, describeCertificate, nameCovers } from '../../../engine/certs';
import { SlipwayError } from '../../../lib/errors';
import { certDir, encryptKey, makeCert, makeCertValidBetween, type TestCert } from '../../support/certs';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('invalid_certificate');
    expect((error as SlipwayError).status).to.equal(422);
    const { message } = error as SlipwayError;
    expect(message.split('\n'), 'one line').to.have.length(1);
    return message;
  }
  throw new Error('expected the certificate to be refused');
}

describe('engine/certs: checking certificates users add (made with openssl in the test)', function () {
  this.timeout(30_000);
  let dir: string;
  let shop: TestCert;
  let wildcard: TestCert;
  let rsa: TestCert;
  let other: TestCert;
  /** The certificates are made in before(): "now" is each test's own. */
  let now: Date;

  before(async () => {
    dir = certDir();
    [shop, wildcard, rsa, other] = await Promise.all([
      makeCert(dir, { cn: 'shop.example.com', sans: ['shop.example.com', 'www.shop.example.com'] }),
      makeCert(dir, { cn: '*.example.org', sans: ['*.example.org', 'example.org'] }),
      makeCert(dir, { cn: 'rsa.example.net', keyType: 'rsa' }),
      makeCert(dir, { cn: 'other.example.com', sans: ['other.example.com'] }),
    ]);
  });

  beforeEach(() => {
    now = new Date();
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads names, validity, fingerprint, subject and issuer of a good EC certificate', () => {
    const checked = checkCertificate(shop.cert, shop.key, now);
    expect(checked.names).to.deep.equal(['shop.example.com', 'www.shop.example.com']);
    expect(checked.fingerprint).to.equal(new X509Certificate(shop.cert).fingerprint256);
    expect(checked.fingerprint).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(checked.notAfter.getTime()).to.be.greaterThan(now.getTime() + 29 * 24 * 3600 * 1000);
    expect(checked.notBefore.getTime()).to.be.at.most(now.getTime() + 1000);
    expect(checked.subject).to.equal('CN=shop.example.com, O=Slipway Tests');
    expect(checked.selfSigned).to.equal(true);
    expect(checked.chainPem).to.match(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(checked.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('takes the CN as the name of an RSA certificate without subjectAltName', () => {
    const checked = checkCertificate(rsa.cert, rsa.key, now);
    expect(checked.names).to.deep.equal(['rsa.example.net']);
  });

  it('keeps a chain: the leaf first, then the intermediates, as given', () => {
    const checked = checkCertificate(`${shop.cert}${other.cert}`, shop.key, now);
    expect(checked.chainPem.match(/BEGIN CERTIFICATE/g)).to.have.length(2);
    expect(checked.names).to.deep.equal(['shop.example.com', 'www.shop.example.com']);
  });

  it('ignores text around the PEM blocks (openssl x509 -text output, a combined cert+key file)', () => {
    const checked = checkCertificate(`Certificate:\n  Data: …\n${shop.cert}\n${shop.key}`, `# my key\n${shop.key}`, now);
    expect(checked.names).to.include('shop.example.com');
  });

  it('refuses a key that is not the certificate\'s', () => {
    expect(refusal(() => checkCertificate(shop.cert, other.key, now)))
      .to.match(/^The private key does not match the certificate \(CN=shop\.example\.com, O=Slipway Tests\): give the key/);
    expect(refusal(() => checkCertificate(shop.cert, rsa.key, now))).to.include('does not match');
  });

  it('refuses an expired certificate, naming the day it expired', () => {
    const later = new Date(Date.now() + 31 * 24 * 3600 * 1000);
    expect(refusal(() => checkCertificate(shop.cert, shop.key, later))).to.match(/expired on \d{4}-\d{2}-\d{2}: renew it/);
  });

  it('refuses a certificate that really expired (backdated with openssl ca)', async () => {
    const expired = await makeCertValidBetween(dir, { cn: 'old.example.com', sans: ['old.example.com'] }, '20200101000000Z', '20200201000000Z');
    expect(refusal(() => checkCertificate(expired.cert, expired.key, new Date())))
      .to.match(/^The certificate \(.*CN=old\.example\.com.*\) expired on 2020-02-01: renew it with your certificate authority and add the new one\.$/);
  });

  it('refuses a certificate that is not valid yet', () => {
    const earlier = new Date(Date.now() - 24 * 3600 * 1000);
    expect(checkCertificate(shop.cert, shop.key, new Date(Date.now() - 60 * 1000)).names, 'a minute of clock skew is fine').to.have.length(2);
    expect(refusal(() => checkCertificate(shop.cert, shop.key, earlier))).to.include('is not valid before');
  });

  it('refuses what is not PEM, saying which file and what to give', () => {
    expect(refusal(() => checkCertificate('hello', shop.key, now))).to.match(/^The certificate is not in PEM format/);
    const der = new X509Certificate(shop.cert).raw.toString('latin1');
    expect(refusal(() => checkCertificate(der, shop.key, now))).to.include('openssl x509 -inform der');
    expect(refusal(() => checkCertificate(shop.cert, 'not a key', now))).to.match(/^The private key is not in PEM format/);
  });

  it('notices the two files swapped', () => {
    expect(refusal(() => checkCertificate(shop.key, shop.cert, now))).to.include('holds a private key, not a certificate');
    expect(refusal(() => checkCertificate(shop.cert, shop.cert, now))).to.include('holds a certificate, not a private key');
  });

  it('refuses a damaged certificate and a damaged key', () => {
    const lines = shop.cert.split('\n');
    const damaged = [...lines.slice(0, 3), 'AAAA', ...lines.slice(4)].join('\n');
    expect(refusal(() => checkCertificate(damaged, shop.key, now))).to.include('is not a valid X.509 certificate');
    const keyLines = shop.key.split('\n');
    const damagedKey = [keyLines[0], 'AAAA', ...keyLines.slice(2)].join('\n');
    expect(refusal(() => checkCertificate(shop.cert, damagedKey, now))).to.include('The private key cannot be read');
  });

  it('refuses an encrypted key with the command that decrypts it', async () => {
    const encrypted = await encryptKey(dir, shop);
    expect(refusal(() => checkCertificate(shop.cert, encrypted, now))).to.include('openssl pkey -in KEY_FILE -out plain.key');
  });

  it('refuses an SSH key given as the key', () => {
    const ssh = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(refusal(() => checkCertificate(shop.cert, ssh, now))).to.include('SSH key, not a TLS private key');
  });

  it('refuses a certificate that names no host', async () => {
    const nameless = await makeCert(dir, { cn: null });
    expect(refusal(() => checkCertificate(nameless.cert, nameless.key, new Date()))).to.include('names no host');
  });

  it('lists DNS names from SANs (lowercase), falling back to the CN only without them', async () => {
    const mixed = await makeCert(dir, { cn: 'ignored.example.com', sans: ['Upper.Example.COM', '*.Wild.example.com'] });
    expect(certificateNames(new X509Certificate(mixed.cert))).to.deep.equal(['upper.example.com', '*.wild.example.com']);
    expect(certificateNames(new X509Certificate(wildcard.cert))).to.deep.equal(['*.example.org', 'example.org']);
  });

  it('matches names to domains: exact, one-label wildcard, wildcard domain to the same wildcard', () => {
    expect(nameCovers('shop.example.com', 'shop.example.com')).to.equal(true);
    expect(nameCovers('*.example.com', 'shop.example.com')).to.equal(true);
    expect(nameCovers('*.example.com', 'a.b.example.com')).to.equal(false);
    expect(nameCovers('*.example.com', 'example.com')).to.equal(false);
    expect(nameCovers('*.example.com', '*.example.com')).to.equal(true);
    expect(nameCovers('shop.example.com', '*.example.com')).to.equal(false);
    expect(nameCovers('*.example.com', '*.shop.example.com')).to.equal(false);
    expect(nameCovers('*.example.com', 'shop.example.org')).to.equal(false);
    expect(certificateCovers(['a.test', '*.b.test'], 'x.b.test')).to.equal(true);
    expect(certificateCovers(['a.test', '*.b.test'], 'b.test')).to.equal(false);
  });

  it('describes a stored chain for listings', () => {
    expect(describeCertificate(`${shop.cert}${other.cert}`)).to.deep.equal({
      subject: 'CN=shop.example.com, O=Slipway Tests', issuer: 'CN=shop.example.com, O=Slipway Tests', selfSigned: true,
    });
    expect(describeCertificate('garbage')).to.equal(null);
  });
});
