import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Config } from '../../../lib/config';
import { credentialsPath, ensureAdmin } from '../../../platform/bootstrap';

describe('platform/bootstrap ensureAdmin', () => {
  let stateDir: string;
  beforeEach(() => { stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bootstrap-')); });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  const config = () => ({ stateDir, apiHost: '127.0.0.1', apiPort: 5100 }) as unknown as Config;

  it('writes the first admin\'s token and generated password to an owner-only credentials file', async () => {
    // A file left with a wider mode (by hand) is made owner-only too.
    fs.writeFileSync(credentialsPath(stateDir), 'old', { mode: 0o644 });
    await ensureAdmin(config(), { bootstrapAdmin: async () => ({ user: { id: 1, name: 'admin' }, token: 'slp_token', password: 'generated-password' }) });
    const file = credentialsPath(stateDir);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({ apiUrl: 'http://127.0.0.1:5100', token: 'slp_token', user: 'admin', password: 'generated-password' });
  });

  it('leaves the file alone once an admin exists', async () => {
    await ensureAdmin(config(), { bootstrapAdmin: async () => null });
    expect(fs.existsSync(credentialsPath(stateDir))).to.equal(false);
  });
});
