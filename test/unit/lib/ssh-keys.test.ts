import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SlipwayError } from '../../../lib/errors';
import { parsePublicKey } from '../../../lib/ssh-keys';
import { makeSshKey, run } from '../../support/slipway';

function refusal(text: string): SlipwayError {
  try {
    parsePublicKey(text);
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected the key to be refused');
}

describe('lib/ssh-keys', () => {
  let tmp: string;
  let key: { privateKey: string; publicKey: string };
  let keygenFingerprint: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-sshkeys-'));
    key = await makeSshKey(tmp);
    const listed = await run('ssh-keygen', ['-lf', `${key.privateKey}.pub`]);
    expect(listed.code, listed.output).to.equal(0);
    // "256 SHA256:<hash> id_ed25519@test (ED25519)"
    keygenFingerprint = listed.stdout.split(/\s+/)[1] ?? '';
    expect(keygenFingerprint).to.match(/^SHA256:/);
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('parses an ed25519 public key from ssh-keygen, with the same fingerprint as `ssh-keygen -lf`', () => {
    const parsed = parsePublicKey(key.publicKey);
    expect(parsed).to.deep.equal({
      type: 'ssh-ed25519',
      line: key.publicKey.trim(),
      comment: 'id_ed25519@test',
      fingerprint: keygenFingerprint,
    });
  });

  it('accepts the key with CRLF line ends, surrounding blank lines and a comment with spaces', () => {
    const [type, blob] = key.publicKey.trim().split(' ');
    const parsed = parsePublicKey(`\r\n\n${type} ${blob} Jane Doe laptop\r\n`);
    expect(parsed.fingerprint).to.equal(keygenFingerprint);
    expect(parsed.comment).to.equal('Jane Doe laptop');
    expect(parsed.line).to.equal(`${type} ${blob} Jane Doe laptop`);
  });

  it('refuses a private key and tells the user to register the .pub file instead', () => {
    const error = refusal(fs.readFileSync(key.privateKey, 'utf8'));
    expect(error.code).to.equal('invalid_key');
    expect(error.status).to.equal(422);
    expect(error.message).to.include('That is a private key');
    expect(error.message).to.include('the .pub file');
  });

  it('refuses garbage, empty input and a key whose data does not match its type', () => {
    const [, blob] = key.publicKey.trim().split(' ');
    for (const text of ['', '   \n', 'hello world', 'ssh-ed25519 not-base64!!', `ssh-rsa ${blob}`, blob ?? '']) {
      const error = refusal(text);
      expect(error.code, text).to.equal('invalid_key');
      expect(error.message, text).to.equal('That is not an SSH public key. Give the content of a .pub file, such as ~/.ssh/id_ed25519.pub.');
    }
  });
});
