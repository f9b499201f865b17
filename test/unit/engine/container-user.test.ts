import { expect } from 'chai';
import { needsPasswd, runAsUser, UNPRIVILEGED_USER } from '../../../engine/drivers/container-user';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'toor:x:0:0:another root:/root:/bin/sh',
  'node:x:1000:1000::/home/node:/bin/bash',
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
].join('\n');

describe('engine/drivers/container-user runAsUser', () => {
  it('runs an image whose USER is unset or root as uid 1000 (as Heroku runs every dyno unprivileged)', () => {
    for (const user of ['', 'root', '0', '0:0', 'root:root', '00', ' 0 ']) {
      expect(runAsUser(user, null), user).to.equal(UNPRIVILEGED_USER);
    }
    expect(UNPRIVILEGED_USER).to.equal('1000:1000');
  });

  it('keeps a non-root USER, numeric or named', () => {
    expect(runAsUser('1000:1000', null)).to.equal('1000:1000');
    expect(runAsUser('4242', null)).to.equal('4242');
    expect(runAsUser('node', PASSWD)).to.equal('node');
    expect(runAsUser('www-data:www-data', PASSWD)).to.equal('www-data:www-data');
  });

  it('does not let a name that maps to uid 0 run as root', () => {
    expect(runAsUser('toor', PASSWD)).to.equal(UNPRIVILEGED_USER);
  });

  it('runs a named user it cannot look up as uid 1000 rather than guess', () => {
    expect(runAsUser('ghost', PASSWD)).to.equal(UNPRIVILEGED_USER);
    expect(runAsUser('node', null)).to.equal(UNPRIVILEGED_USER);
  });

  it('keeps a non-root user but not the root group', () => {
    expect(runAsUser('node:0', PASSWD)).to.equal('node:1000');
    expect(runAsUser('4242:root', null)).to.equal('4242:1000');
  });

  it('reads /etc/passwd only for a named user other than root', () => {
    expect(needsPasswd('node')).to.equal(true);
    expect(needsPasswd('node:staff')).to.equal(true);
    for (const user of ['', 'root', '0', '1000:1000', 'root:staff']) expect(needsPasswd(user), user).to.equal(false);
  });
});
