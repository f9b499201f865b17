import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CliError } from '../../../cli/cli-error';
import { loadPublicKey, parsePublicKey } from '../../../cli/ssh-key';

describe('cli/ssh-key', () => {
  let tmp: string;
  let keyFile: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-key-'));
    keyFile = path.join(tmp, 'k');
    execFileSync('ssh-keygen', ['-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', keyFile, '-q']);
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function loadError(file: string | undefined, home: string): CliError {
    try {
      loadPublicKey(file, home);
    } catch (error) {
      expect(error).to.be.instanceOf(CliError);
      return error as CliError;
    }
    throw new Error('expected a CliError');
  }

  it('parses an OpenSSH public key and its comment', () => {
    const text = fs.readFileSync(`${keyFile}.pub`, 'utf8');
    const key = parsePublicKey(text);
    expect(key).to.deep.equal({ line: text.trim(), type: 'ssh-ed25519', comment: 'me@laptop' });
  });

  it('rejects private keys, garbage and mismatched key data', () => {
    expect(parsePublicKey(fs.readFileSync(keyFile, 'utf8'))).to.have.property('problem').that.includes('private key');
    expect(parsePublicKey('')).to.deep.equal({ problem: 'it is empty' });
    expect(parsePublicKey('hello world')).to.have.property('problem').that.includes('not a supported key type');
    const data = fs.readFileSync(`${keyFile}.pub`, 'utf8').split(' ')[1];
    expect(parsePublicKey(`ssh-rsa ${data}`)).to.have.property('problem').that.includes('does not match');
    expect(parsePublicKey('ssh-ed25519 !!!')).to.have.property('problem').that.includes('base64');
  });

  it('defaults to ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub', () => {
    const home = path.join(tmp, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.copyFileSync(`${keyFile}.pub`, path.join(home, '.ssh', 'id_rsa.pub'));
    expect(loadPublicKey(undefined, home).file).to.equal(path.join(home, '.ssh', 'id_rsa.pub'));
    fs.copyFileSync(`${keyFile}.pub`, path.join(home, '.ssh', 'id_ed25519.pub'));
    expect(loadPublicKey(undefined, home).file).to.equal(path.join(home, '.ssh', 'id_ed25519.pub'));
  });

  it('explains a missing default key, a missing file and a private key file', () => {
    const empty = path.join(tmp, 'empty-home');
    fs.mkdirSync(empty);
    expect(loadError(undefined, empty).message).to.match(/No public key found at .*id_ed25519\.pub or .*id_rsa\.pub: create one with ssh-keygen/);
    expect(loadError(path.join(tmp, 'nope.pub'), empty).message).to.include(`No such file: ${path.join(tmp, 'nope.pub')}`);
    const privateKey = loadError(keyFile, empty).message;
    expect(privateKey).to.include('is not an SSH public key: it is a private key');
    expect(privateKey).to.include(`Did you mean ${keyFile}.pub?`);
  });
});
