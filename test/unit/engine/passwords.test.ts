import { expect } from 'chai';
import { hashPassword, needsRehash, OWASP_SCRYPT, parsePasswordHash, passwordProblem, verifyPassword, generatePassword } from '../../../engine/passwords';

/** A cheap cost for the cases where the cost itself is not the point (OWASP's takes ~0.5 s per hash). */
const CHEAP = { ln: 10, r: 8, p: 1 };

describe('engine/passwords', () => {
  it('hashes with OWASP scrypt parameters by default, encoded with them, a 16-byte salt and a 64-byte key', async function () {
    this.timeout(60_000); // two hashes of 128 MiB each, on a shared CPU
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).to.match(/^\$scrypt\$ln=17,r=8,p=1\$/);
    const parsed = parsePasswordHash(hash);
    expect(parsed?.params).to.deep.equal(OWASP_SCRYPT);
    expect(parsed?.salt.length).to.equal(16);
    expect(parsed?.key.length).to.equal(64);
    expect(await verifyPassword('correct horse battery staple', hash)).to.equal(true);
  });

  it('refuses a wrong password, and a near miss', async () => {
    const hash = await hashPassword('s3cret-passphrase', CHEAP);
    expect(await verifyPassword('s3cret-passphrase', hash)).to.equal(true);
    expect(await verifyPassword('s3cret-passphrasE', hash)).to.equal(false);
    expect(await verifyPassword('', hash)).to.equal(false);
  });

  it('salts each hash: the same password hashes differently twice, and both verify', async () => {
    const a = await hashPassword('same password here', CHEAP);
    const b = await hashPassword('same password here', CHEAP);
    expect(a).to.not.equal(b);
    expect(await verifyPassword('same password here', a)).to.equal(true);
    expect(await verifyPassword('same password here', b)).to.equal(true);
  });

  it('verifies with the parameters stored in the hash, and says when they are below today\'s', async () => {
    const weak = await hashPassword('an older password', CHEAP);
    expect(await verifyPassword('an older password', weak)).to.equal(true);
    expect(needsRehash(weak)).to.equal(true);
    expect(needsRehash(weak, CHEAP)).to.equal(false);
  });

  it('refuses hashes it cannot read or that ask for too much memory, without computing them', async () => {
    const hash = await hashPassword('whatever password', CHEAP);
    const salt = hash.split('$')[3];
    const key = hash.split('$')[4];
    for (const bad of ['', 'plain', `$scrypt$ln=30,r=8,p=1$${salt}$${key}`, `$scrypt$ln=10,r=99,p=1$${salt}$${key}`,
      `$scrypt$ln=10,r=8,p=1$${salt}$${key!.slice(0, 20)}`, `$bcrypt$ln=10,r=8,p=1$${salt}$${key}`]) {
      expect(parsePasswordHash(bad), bad).to.equal(null);
      expect(await verifyPassword('whatever password', bad), bad).to.equal(false);
      expect(needsRehash(bad), bad).to.equal(true);
    }
  });

  it('treats the same text in another Unicode normal form as the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait!', CHEAP);
    expect(await verifyPassword('cafe\u0301 au lait!', hash)).to.equal(true);
  });

  it('asks for at least 10 characters and no composition rules; generated passwords pass', () => {
    expect(passwordProblem('short')).to.match(/shorter than 10/);
    expect(passwordProblem('x'.repeat(2000))).to.match(/longer than/);
    expect(passwordProblem('all lowercase words')).to.equal(null);
    const generated = generatePassword();
    expect(generated).to.match(/^[A-Za-z0-9_-]{24}$/);
    expect(passwordProblem(generated)).to.equal(null);
    expect(generatePassword()).to.not.equal(generated);
  });
});
