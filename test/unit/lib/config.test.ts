import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../lib/config';
import { SlipwayError } from '../../../lib/errors';
import { connectionFor } from '../../../engine/store/database';

function configError(env: Record<string, string>): SlipwayError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to fail`);
}

describe('lib/config', () => {
  it('has working defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).to.include({
      stateDir: '/var/lib/slipway',
      databaseUrl: 'sqlite:///var/lib/slipway/slipway.sqlite3',
      etcdPrefix: '/slipway',
      registry: '127.0.0.1:5000',
      dockerSocket: '/var/run/docker.sock',
      apiHost: '127.0.0.1',
      apiPort: 5080,
      sshHost: '0.0.0.0',
      sshPort: 2222,
      routerHost: '0.0.0.0',
      routerPort: 8080,
      domain: 'slipway.localhost',
      publicHost: '127.0.0.1',
      npmRegistry: null,
      buildCaBundle: null,
      stackBuildImage: 'slipway/stack-build:latest',
      stackRunImage: 'slipway/stack-run:latest',
      bootTimeoutMs: 60_000,
      stopGraceSeconds: 10,
      logLevel: 'info',
    });
    expect(config.etcdUrls).to.deep.equal(['http://127.0.0.1:2379']);
  });

  it('finds the buildpacks shipped with Slipway by default', () => {
    const config = loadConfig({});
    expect(fs.existsSync(path.join(config.buildpacksDir, 'nodejs')), config.buildpacksDir).to.equal(true);
  });

  it('returns a frozen config, so no part can change another part\'s settings', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.etcdUrls)).to.equal(true);
  });

  it('keeps the default SQLite database inside the state dir, which it resolves to an absolute path', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-config-'));
    try {
      const stateDir = path.join(tmp, 'state');
      const config = loadConfig({ SLIPWAY_STATE_DIR: stateDir });
      expect(config.stateDir).to.equal(stateDir);
      expect(config.databaseUrl).to.equal(`sqlite://${stateDir}/slipway.sqlite3`);
      const knexConfig = connectionFor(config.databaseUrl);
      expect(knexConfig.client).to.equal('better-sqlite3');
      expect(knexConfig.connection).to.deep.equal({ filename: path.join(stateDir, 'slipway.sqlite3') });

      const relative = loadConfig({ SLIPWAY_STATE_DIR: 'some/dir' });
      expect(relative.stateDir).to.equal(path.resolve('some/dir'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('uses SLIPWAY_DATABASE_URL when given (MySQL)', () => {
    const config = loadConfig({ SLIPWAY_STATE_DIR: '/srv/slipway', SLIPWAY_DATABASE_URL: 'mysql://slipway:pw@db:3306/slipway' });
    expect(config.databaseUrl).to.equal('mysql://slipway:pw@db:3306/slipway');
    expect(connectionFor(config.databaseUrl).client).to.equal('mysql2');
  });

  it('refuses a database URL of another kind with invalid_config', () => {
    expect(() => connectionFor('postgres://db/slipway')).to.throw(SlipwayError, 'must start with sqlite:// or mysql://');
  });

  it('reads every setting from its variable', () => {
    const config = loadConfig({
      SLIPWAY_ETCD_URL: 'http://e1:2379, http://e2:2379',
      SLIPWAY_ETCD_PREFIX: '/slipway-test-abc/',
      SLIPWAY_REGISTRY: 'registry.local:5000',
      DOCKER_HOST: 'unix:///run/user/1000/docker.sock',
      SLIPWAY_API_PORT: '0',
      SLIPWAY_SSH_PORT: '2022',
      SLIPWAY_ROUTER_PORT: '80',
      SLIPWAY_DOMAIN: 'apps.example.com',
      SLIPWAY_NPM_REGISTRY: 'https://npm.example.com/',
      SLIPWAY_BUILD_CA_BUNDLE: '/etc/ssl/corp.pem',
      SLIPWAY_BOOT_TIMEOUT: '2.5',
      SLIPWAY_STOP_GRACE: '3',
    });
    expect(config.etcdUrls).to.deep.equal(['http://e1:2379', 'http://e2:2379']);
    expect(config.etcdPrefix).to.equal('/slipway-test-abc');
    expect(config.registry).to.equal('registry.local:5000');
    expect(config.dockerSocket).to.equal('/run/user/1000/docker.sock');
    expect(config.apiPort).to.equal(0);
    expect(config.sshPort).to.equal(2022);
    expect(config.routerPort).to.equal(80);
    expect(config.domain).to.equal('apps.example.com');
    expect(config.npmRegistry).to.equal('https://npm.example.com/');
    expect(config.buildCaBundle).to.equal('/etc/ssl/corp.pem');
    expect(config.bootTimeoutMs).to.equal(2500);
    expect(config.stopGraceSeconds).to.equal(3);
  });

  it('treats an empty port variable as unset', () => {
    expect(loadConfig({ SLIPWAY_API_PORT: '' }).apiPort).to.equal(5080);
  });

  it('refuses a port that is not a TCP port, naming the variable and its value', () => {
    for (const value of ['http', '65536', '-1', '80.5']) {
      const error = configError({ SLIPWAY_ROUTER_PORT: value });
      expect(error.code, value).to.equal('invalid_config');
      expect(error.message, value).to.equal(`SLIPWAY_ROUTER_PORT=${value} is not a TCP port (0-65535)`);
    }
  });

  it('refuses a boot timeout or stop grace that is not a positive number', () => {
    expect(configError({ SLIPWAY_BOOT_TIMEOUT: '0' }).message).to.equal('SLIPWAY_BOOT_TIMEOUT=0 must be a positive number');
    expect(configError({ SLIPWAY_STOP_GRACE: 'soon' }).message).to.equal('SLIPWAY_STOP_GRACE=soon must be a positive number');
  });
});
