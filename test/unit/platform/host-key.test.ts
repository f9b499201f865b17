import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { utils } from 'ssh2';
import { ensureHostKey } from '../../../platform/bootstrap';
import { openSshEd25519 } from '../../../platform/host-key';

/** An ed25519 key whose 32-byte public key starts with a zero byte (about 1 in 256 keys). */
function keyWithLeadingZero(): crypto.KeyObject {
  for (let i = 0; ; i += 1) {
    const seed = crypto.createHash('sha256').update(`seed ${i}`).digest();
    // PKCS #8 for an ed25519 seed: a fixed 16-byte prefix, then the 32-byte seed.
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const key = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const x = Buffer.from(crypto.createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url');
    if (x[0] === 0) return key;
  }
}

describe('platform/host-key', () => {
  let stateDir: string;
  beforeEach(() => { stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-host-key-')); });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('writes a host key the SSH server reads, also when its public key starts with a zero byte', () => {
    // ssh2's own generator dropped such leading zeros: 1 key in 256 was "Malformed OpenSSH private
    // key" at the next start (the flaky Prometheus test).
    const key = keyWithLeadingZero();
    const { privateKey, publicKey } = openSshEd25519(key, 'slipway-host');
    const parsed = utils.parseKey(privateKey);
    if (parsed instanceof Error) throw parsed;
    expect(parsed.type).to.equal('ssh-ed25519');
    const jwk = crypto.createPublicKey(key).export({ format: 'jwk' });
    const blob = parsed.getPublicSSH();
    expect(blob.subarray(blob.length - 32).toString('base64url')).to.equal(jwk.x);
    expect(publicKey).to.equal(`ssh-ed25519 ${blob.toString('base64')} slipway-host\n`);
    // It signs, and the signature verifies with the public key.
    const data = Buffer.from('hello');
    expect(parsed.verify(data, parsed.sign(data))).to.equal(true);
  });

  it('makes a readable key every time (no 1-in-256 malformed key)', function () {
    this.timeout(60_000);
    for (let i = 0; i < 1000; i += 1) {
      const dir = path.join(stateDir, String(i));
      const parsed = utils.parseKey(ensureHostKey(dir));
      fs.rmSync(dir, { recursive: true }); // as it goes: a thousand left to afterEach took it past its timeout
      if (parsed instanceof Error) throw new Error(`key ${i}: ${parsed.message}`);
    }
  });

  it('keeps the key of the first start, and leaves no temporary file behind', () => {
    const first = ensureHostKey(stateDir);
    expect(ensureHostKey(stateDir).equals(first)).to.equal(true);
    expect(fs.readdirSync(stateDir).sort()).to.deep.equal(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']);
    expect(fs.statSync(path.join(stateDir, 'ssh_host_ed25519_key')).mode & 0o777).to.equal(0o600);
  });
});
