import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Cert, Domain } from '../../../cli/api-types';
import { CliError } from '../../../cli/cli-error';
import { parseSwitch, readPemFile } from '../../../cli/commands-domains';
import { certsList, domainsTable, expiry } from '../../../cli/format-domains';

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a CliError');
}

describe('cli domains and certs commands (pure parts)', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  const options = { color: false, now };

  it('reads on/off for domains:redirect', () => {
    for (const on of ['on', 'ON', 'true', 'yes', '1']) expect(parseSwitch(on), on).to.equal(true);
    for (const off of ['off', 'false', 'no', '0']) expect(parseSwitch(off), off).to.equal(false);
    expect(cliError(() => parseSwitch('maybe')).message).to.include('neither on nor off');
  });

  it('reads PEM files relative to the current directory, with a readable error otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-pem-'));
    try {
      fs.writeFileSync(path.join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nx\n');
      fs.writeFileSync(path.join(dir, 'empty.pem'), '  \n');
      expect(readPemFile(dir, 'cert.pem', 'certificate')).to.include('BEGIN CERTIFICATE');
      expect(cliError(() => readPemFile(dir, 'missing.pem', 'certificate')).message).to.equal('Cannot read the certificate file missing.pem (no such file).');
      expect(cliError(() => readPemFile(dir, 'empty.pem', 'key')).message).to.equal('The key file empty.pem is empty.');
      expect(cliError(() => readPemFile(dir, '.', 'key')).message).to.include('it is a folder');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows expiry dates with how far away they are, marking expired ones', () => {
    expect(expiry('2027-01-15T12:00:00.000Z', options)).to.equal('2027-01-15 (in 1 year)');
    expect(expiry('2026-01-01T12:00:00.000Z', options)).to.equal('expired 2026-01-01 (14 days ago)');
  });

  it('lists domains with their kind, certificate and the redirect setting', () => {
    const domains: Domain[] = [
      { hostname: 'shop.slipway.localhost', kind: 'default', wildcard: false, createdAt: null, cert: null },
      { hostname: 'www.shop.test', kind: 'custom', wildcard: false, createdAt: '2026-01-01T00:00:00Z', cert: { id: 1, fingerprint: 'AA:BB', expiresAt: '2026-04-15T12:00:00.000Z' } },
    ];
    const text = domainsTable('shop', domains, false, options);
    expect(text.split('\n')[0]).to.equal('=== shop Domains');
    expect(text).to.match(/shop\.slipway\.localhost\s*│\s*default\s*│\s*none/);
    expect(text).to.match(/www\.shop\.test\s*│\s*custom\s*│\s*expires 2026-04-15 \(in 3 months\)/);
    expect(text).to.include('Redirect HTTP to HTTPS: off (turn it on with: slipway domains:redirect shop on)');
    expect(domainsTable('shop', domains, true, options)).to.include('Redirect HTTP to HTTPS: on');
  });

  it('lists certificates: names, what each serves, expiry, fingerprint, issuer', () => {
    const certs: Cert[] = [{
      id: 1, fingerprint: 'AA:BB', expiresAt: '2026-04-15T12:00:00.000Z', names: ['www.shop.test', 'shop.test'], domains: ['www.shop.test'],
      subject: 'CN=www.shop.test', issuer: 'CN=www.shop.test', selfSigned: true, createdAt: '2026-01-15T11:00:00.000Z',
    }];
    const text = certsList('shop', certs, options);
    expect(text).to.include('=== shop Certificates');
    expect(text).to.include('www.shop.test, shop.test');
    expect(text).to.include('  Serves:       www.shop.test');
    expect(text).to.include('  Fingerprint:  SHA256 AA:BB');
    expect(text).to.include('  Issuer:       CN=www.shop.test (self-signed)');
    expect(certsList('shop', [], options)).to.equal('shop has no certificates. Add one with: slipway certs:add shop CERT_FILE KEY_FILE');
  });
});
