import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CliError } from '../../../cli/cli-error';
import { credentialsPaths, forgetLogin, readLogin, resolveApiUrl, resolveSettings, saveLogin } from '../../../cli/settings';

describe('cli/settings', () => {
  let tmp: string;
  let stateDir: string;
  let home: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-settings-'));
    stateDir = path.join(tmp, 'state');
    home = path.join(tmp, 'home');
    fs.mkdirSync(stateDir);
    fs.mkdirSync(path.join(home, '.slipway'), { recursive: true });
  });

  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const writeState = (value: unknown) =>
    fs.writeFileSync(path.join(stateDir, 'admin-credentials.json'), typeof value === 'string' ? value : JSON.stringify(value));
  const writeHome = (value: unknown) =>
    fs.writeFileSync(path.join(home, '.slipway', 'credentials.json'), JSON.stringify(value));

  function error(fn: () => unknown): CliError {
    try {
      fn();
    } catch (e) {
      expect(e).to.be.instanceOf(CliError);
      return e as CliError;
    }
    throw new Error('expected a CliError');
  }

  it('uses SLIPWAY_TOKEN and SLIPWAY_API_URL first, ignoring credentials files', () => {
    writeState({ apiUrl: 'http://state:1', token: 'state-token', user: 'admin' });
    writeHome({ apiUrl: 'http://home:1', token: 'home-token', user: 'admin' });
    const settings = resolveSettings({
      env: { SLIPWAY_TOKEN: 'env-token', SLIPWAY_API_URL: 'http://api.example:9000/', SLIPWAY_STATE_DIR: stateDir },
      homeDir: home,
    });
    expect(settings).to.deep.equal({
      apiUrl: 'http://api.example:9000',
      token: 'env-token',
      tokenSource: 'SLIPWAY_TOKEN',
      apiUrlSource: 'SLIPWAY_API_URL',
    });
  });

  it('defaults the API URL to http://127.0.0.1:5080', () => {
    const settings = resolveSettings({ env: { SLIPWAY_TOKEN: 't', SLIPWAY_STATE_DIR: stateDir }, homeDir: home });
    expect(settings.apiUrl).to.equal('http://127.0.0.1:5080');
    expect(settings.apiUrlSource).to.equal('default');
  });

  it('without SLIPWAY_TOKEN, reads the login file ~/.slipway/credentials.json before $SLIPWAY_STATE_DIR/admin-credentials.json', () => {
    writeState({ apiUrl: 'http://state:5080', token: 'state-token', user: 'admin' });
    writeHome({ apiUrl: 'http://home:5080', token: 'home-token', user: 'alice' });
    const settings = resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home });
    expect(settings.token).to.equal('home-token');
    expect(settings.apiUrl).to.equal('http://home:5080');
    expect(settings.tokenSource).to.equal(path.join(home, '.slipway', 'credentials.json'));
  });

  it('falls back to $SLIPWAY_STATE_DIR/admin-credentials.json', () => {
    writeState({ apiUrl: 'http://state:5080', token: 'state-token', user: 'admin' });
    const settings = resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home });
    expect(settings.token).to.equal('state-token');
    expect(settings.apiUrl).to.equal('http://state:5080');
  });

  it('lets SLIPWAY_API_URL override the apiUrl of a credentials file', () => {
    writeState({ apiUrl: 'http://state:5080', token: 'state-token' });
    const settings = resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir, SLIPWAY_API_URL: 'http://env:1' }, homeDir: home });
    expect(settings.token).to.equal('state-token');
    expect(settings.apiUrl).to.equal('http://env:1');
  });

  it('uses the default API URL when the credentials file has none', () => {
    writeHome({ token: 'home-token' });
    expect(resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home }).apiUrl).to.equal('http://127.0.0.1:5080');
  });

  it('skips a credentials file without a token', () => {
    writeHome({ apiUrl: 'http://home:5080', user: 'admin' });
    writeState({ token: 'state-token' });
    expect(resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home }).token).to.equal('state-token');
  });

  it('without any token, says in one line where it looked and how to fix it', () => {
    const e = error(() => resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home }));
    expect(e.message).not.to.include('\n');
    expect(e.message).to.include('SLIPWAY_TOKEN');
    expect(e.message).to.include(path.join(stateDir, 'admin-credentials.json'));
    expect(e.message).to.include(path.join(home, '.slipway', 'credentials.json'));
  });

  it('SLIPWAY_STATE_DIR defaults to /var/lib/slipway', () => {
    expect(credentialsPaths({}, home)[1]).to.equal('/var/lib/slipway/admin-credentials.json');
    expect(credentialsPaths({ SLIPWAY_STATE_DIR: '' }, home)[1]).to.equal('/var/lib/slipway/admin-credentials.json');
    expect(credentialsPaths({ SLIPWAY_STATE_DIR: stateDir }, home)).to.deep.equal([
      path.join(home, '.slipway', 'credentials.json'),
      path.join(stateDir, 'admin-credentials.json'),
    ]);
  });

  it('names a credentials file that is not JSON', () => {
    writeState('{not json');
    const e = error(() => resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home }));
    expect(e.message).to.include(path.join(stateDir, 'admin-credentials.json'));
    expect(e.message).to.include('not valid JSON');
  });

  it('rejects an API URL that is not http(s)', () => {
    const e = error(() => resolveSettings({ env: { SLIPWAY_TOKEN: 't', SLIPWAY_API_URL: 'localhost:5080' }, homeDir: home }));
    expect(e.message).to.include('SLIPWAY_API_URL');
  });

  describe('the login file (login, logout)', () => {
    it('is written with mode 0600 in a 0700 directory, and read back as the token', () => {
      const fresh = path.join(tmp, 'fresh-home');
      const file = saveLogin({ apiUrl: 'http://paas:5080', token: 'slp_x', user: 'alice' }, fresh);
      expect(file).to.equal(path.join(fresh, '.slipway', 'credentials.json'));
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
      expect(readLogin(fresh)).to.deep.equal({ token: 'slp_x', apiUrl: 'http://paas:5080', tokenId: null });
      const settings = resolveSettings({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: fresh });
      expect(settings).to.include({ token: 'slp_x', apiUrl: 'http://paas:5080' });
    });

    it('replaces an earlier login, tightening its mode', () => {
      writeHome({ token: 'old' });
      fs.chmodSync(path.join(home, '.slipway', 'credentials.json'), 0o644);
      const file = saveLogin({ apiUrl: 'http://paas:5080', token: 'new', user: 'alice' }, home);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(readLogin(home)?.token).to.equal('new');
      expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['credentials.json']);
    });

    it('loses to SLIPWAY_TOKEN', () => {
      saveLogin({ apiUrl: 'http://paas:5080', token: 'stored', user: 'alice' }, home);
      expect(resolveSettings({ env: { SLIPWAY_TOKEN: 'env' }, homeDir: home }).token).to.equal('env');
    });

    it('is removed by forgetLogin, which says whether there was one', () => {
      saveLogin({ apiUrl: 'http://paas:5080', token: 'stored', user: 'alice' }, home);
      expect(forgetLogin(home)).to.equal(true);
      expect(readLogin(home)).to.equal(null);
      expect(forgetLogin(home)).to.equal(false);
    });

    it('gives login its API URL: SLIPWAY_API_URL, else a stored one, else the default', () => {
      expect(resolveApiUrl({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home })).to.equal('http://127.0.0.1:5080');
      writeState({ apiUrl: 'http://state:5080/', token: 't' });
      expect(resolveApiUrl({ env: { SLIPWAY_STATE_DIR: stateDir }, homeDir: home })).to.equal('http://state:5080');
      expect(resolveApiUrl({ env: { SLIPWAY_STATE_DIR: stateDir, SLIPWAY_API_URL: 'http://env:1' }, homeDir: home })).to.equal('http://env:1');
    });
  });
});
