import { expect } from 'chai';
import { gitUrl } from '../../../cli/commands';

describe('cli/commands gitUrl', () => {
  const info = { domain: 'slipway.test', sshHost: 'git.slipway.test', sshPort: 2222, version: '0.1.0' };

  it('is ssh://git@<sshHost>:<sshPort>/<app>.git', () => {
    expect(gitUrl(info, 'shop', 'http://127.0.0.1:5080')).to.equal('ssh://git@git.slipway.test:2222/shop.git');
  });

  it('uses the API host when the SSH host is a wildcard bind address', () => {
    expect(gitUrl({ ...info, sshHost: '0.0.0.0' }, 'shop', 'http://paas.example:5080')).to.equal('ssh://git@paas.example:2222/shop.git');
    expect(gitUrl({ ...info, sshHost: '::' }, 'shop', 'http://[::1]:5080')).to.equal('ssh://git@[::1]:2222/shop.git');
  });

  it('brackets an IPv6 SSH host', () => {
    expect(gitUrl({ ...info, sshHost: 'fd00::1' }, 'shop', 'http://x')).to.equal('ssh://git@[fd00::1]:2222/shop.git');
  });
});
