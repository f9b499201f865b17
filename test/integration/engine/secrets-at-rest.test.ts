/**
 * Secrets at rest (issue 10, item 3): file modes of the state dir, sealed config values and private
 * keys as the database and etcd hold them (read raw), the migration of plaintext rows, a key
 * rotation, and a missing or wrong key refused with a clear error instead of garbage.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import knex from 'knex';
import { EtcdPublisher } from '../../../engine/publisher';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { connectionFor, openDatabase, type Database } from '../../../engine/store/database';
import { DomainsRepo } from '../../../engine/store/domains-repo';
import { ReleasesRepo } from '../../../engine/store/releases-repo';
import { secretsOf } from '../../../engine/store/secret-columns';
import { loadConfig, type Config } from '../../../lib/config';
import { certKey, certSealContext, parseCertValue } from '../../../lib/etcd-keys';
import { isSlipwayError } from '../../../lib/errors';
import { generateSecretKey, SecretBox } from '../../../lib/secret-box';
import { readSecretBox, writeKeyFile } from '../../../lib/secrets-key-file';
import { secureStateDir } from '../../../lib/state-dir';
import { initSecretsKey, rotateSecretsKey } from '../../../platform/secrets';

const ETCD_URL = process.env.SLIPWAY_ETCD_URL ?? 'http://127.0.0.1:2379';
const SECRET = 'postgres://u:hunter2-s3cr3t@db/x';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n';

function mode(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8);
}

async function expectUnreadable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(isSlipwayError(error), String(error)).to.equal(true);
  expect((error as { code: string }).code).to.equal('secrets_unreadable');
  expect((error as Error).message).to.match(message);
}

describe('secrets at rest: sealed config values and private keys, owner-only files', function () {
  this.timeout(60_000);
  let stateDir: string;
  let config: Config;
  let db: Database | null;
  const etcd = new Etcd3({ hosts: ETCD_URL });

  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-secrets-'));
    config = loadConfig({ SLIPWAY_STATE_DIR: stateDir, SLIPWAY_ETCD_URL: ETCD_URL, SLIPWAY_ETCD_PREFIX: `/slipway-test-${crypto.randomBytes(4).toString('hex')}` });
    db = null;
  });

  afterEach(async () => {
    await db?.destroy();
    await etcd.delete().prefix(`${config.etcdPrefix}/`);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  after(() => etcd.close());

  /** An app with a secret config var, a release carrying it, and a certificate. */
  async function seed(database: Database): Promise<number> {
    const apps = new AppsRepo(database);
    const app = await apps.create('shop');
    await apps.setConfig(app.id, { DATABASE_URL: SECRET });
    await new ReleasesRepo(database).create({ appId: app.id, buildId: null, config: { DATABASE_URL: SECRET }, description: 'Set DATABASE_URL' });
    await new DomainsRepo(database).addCert(app.id, { names: ['www.shop.test'], certificatePem: 'CERT', privateKeyPem: PRIVATE_KEY, fingerprint: 'AA', notAfter: new Date() }, []);
    return app.id;
  }

  /** Every secret column's raw text, straight from the file with a connection of its own. */
  async function rawSecrets(): Promise<string[]> {
    const raw = knex(connectionFor(config.databaseUrl));
    try {
      const rows = [
        ...(await raw('apps').select('config as value')),
        ...(await raw('releases').select('config as value')),
        ...(await raw('certs').select('private_key as value')),
      ] as Array<{ value: string }>;
      return rows.map((row) => row.value);
    } finally {
      await raw.destroy();
    }
  }

  it('makes the state dir, its folders, the database files and the key file readable by their owner only', async () => {
    secureStateDir(stateDir);
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    await seed(db);
    const file = path.join(stateDir, 'slipway.sqlite3');
    expect(mode(stateDir)).to.equal('711'); // no listing; MariaDB (as mysql) reaches its folder inside
    expect(mode(path.join(stateDir, 'run'))).to.equal('711');
    for (const dir of ['repos', 'logs', 'router']) expect(mode(path.join(stateDir, dir)), dir).to.equal('700');
    for (const each of [file, `${file}-wal`, `${file}-shm`, config.secretsKeyFile]) expect(mode(each), each).to.equal('600');
  });

  it('puts an installation from before right: a 0644 database and a 0755 state dir', async () => {
    const file = path.join(stateDir, 'slipway.sqlite3');
    const old = await openDatabase(config.databaseUrl);
    await old.destroy();
    fs.chmodSync(stateDir, 0o755);
    for (const each of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(each)) fs.chmodSync(each, 0o644);
    secureStateDir(stateDir);
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    expect(mode(stateDir)).to.equal('711');
    for (const each of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(each)) expect(mode(each), each).to.equal('600');
  });

  it('keeps config values (current and each release) and private keys sealed in the database, and reads them back', async () => {
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    const appId = await seed(db);
    const raw = await rawSecrets();
    expect(raw).to.have.length(3);
    for (const value of raw) {
      expect(value).to.match(/^slipway-sealed:v1:/);
      expect(value).to.not.contain('hunter2');
      expect(value).to.not.contain('TOP-SECRET');
    }
    expect((await new AppsRepo(db).get('shop')).config).to.deep.equal({ DATABASE_URL: SECRET });
    expect((await new ReleasesRepo(db).list(appId))[0]!.config).to.deep.equal({ DATABASE_URL: SECRET });
    expect((await new DomainsRepo(db).certs(appId))[0]!.privateKeyPem).to.equal(PRIVATE_KEY);
  });

  it('seals the plaintext rows of an installation from before when the store opens', async () => {
    db = await openDatabase(config.databaseUrl);
    const appId = await seed(db);
    await db('apps').update({ config: JSON.stringify({ DATABASE_URL: SECRET }) });
    await db('releases').update({ config: JSON.stringify({ DATABASE_URL: SECRET }) });
    await db('certs').update({ private_key: PRIVATE_KEY });
    await db.destroy();
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    for (const value of await rawSecrets()) expect(value).to.match(/^slipway-sealed:v1:/).and.not.contain('hunter2');
    expect((await new AppsRepo(db).get('shop')).config).to.deep.equal({ DATABASE_URL: SECRET });
    expect((await new DomainsRepo(db).certs(appId))[0]!.privateKeyPem).to.equal(PRIVATE_KEY);
  });

  it('refuses to start without the key file once the database holds sealed values, saying what to restore', async () => {
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    await seed(db);
    await db.destroy();
    db = null;
    fs.rmSync(config.secretsKeyFile);
    await expectUnreadable(openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile }), /secrets key file .* is missing.*restore the file from your backup/);
    expect(fs.existsSync(config.secretsKeyFile), 'no new key is made over sealed data').to.equal(false);
  });

  it('refuses a wrong key by name at start instead of answering garbage', async () => {
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    await seed(db);
    const right = secretsOf(db).current.id;
    await db.destroy();
    db = null;
    fs.rmSync(config.secretsKeyFile);
    writeKeyFile(config.secretsKeyFile, generateSecretKey());
    // The platform does not even start: opening the store checks every sealed value's key.
    await expectUnreadable(openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile }), new RegExp(`sealed with the key ${right}, but .* holds`));
  });

  it('refuses a sealed value moved to another app (it is bound to its row)', async () => {
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    await seed(db);
    const other = await new AppsRepo(db).create('other');
    const shopRow = (await db('apps').where({ name: 'shop' }).first('config')) as { config: string };
    await db('apps').where({ id: other.id }).update({ config: shopRow.config });
    await expectUnreadable(new AppsRepo(db).get('other'), /fails authentication/);
  });

  it('rotates the key: every database and etcd value re-sealed, the old key no longer needed, and init keeps a key', async () => {
    expect(initSecretsKey(config.secretsKeyFile).created).to.equal(true);
    expect(initSecretsKey(config.secretsKeyFile).created).to.equal(false);
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    const appId = await seed(db);
    const oldBox = secretsOf(db);
    const publisher = new EtcdPublisher(etcd, config.etcdPrefix, oldBox);
    await publisher.syncCerts('shop', new Map([['www.shop.test', { cert: 'CERT', key: PRIVATE_KEY }]]));
    await db.destroy();
    db = null;

    const report = await rotateSecretsKey(config, etcd);
    expect(report).to.include({ from: oldBox.current.id, databaseValues: 3, etcdValues: 1 });
    const newBox = readSecretBox(config.secretsKeyFile) as SecretBox;
    expect(newBox.keyIds).to.deep.equal([report.to]);
    expect(fs.existsSync(`${config.secretsKeyFile}.next`)).to.equal(false);
    expect(mode(config.secretsKeyFile)).to.equal('600');

    for (const value of await rawSecrets()) expect(value.startsWith(`slipway-sealed:v1:${report.to}:`), value.slice(0, 40)).to.equal(true);
    const etcdKey = certKey(config.etcdPrefix, 'shop', 'www.shop.test');
    const raw = (await etcd.get(etcdKey).string()) as string;
    expect(raw).to.not.contain('TOP-SECRET');
    const value = parseCertValue(raw) as { sealedKey: string };
    expect(newBox.open(value.sealedKey, certSealContext(etcdKey))).to.equal(PRIVATE_KEY);
    expect(() => oldBox.open(value.sealedKey, certSealContext(etcdKey))).to.throw(/sealed with the key/);

    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    expect((await new AppsRepo(db).get('shop')).config).to.deep.equal({ DATABASE_URL: SECRET });
    expect((await new DomainsRepo(db).certs(appId))[0]!.privateKeyPem).to.equal(PRIVATE_KEY);
  });

  it('finishes a rotation cut short after the new key was written', async () => {
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    await seed(db);
    await db.destroy();
    db = null;
    const next = generateSecretKey();
    writeKeyFile(`${config.secretsKeyFile}.next`, next);
    // Half the values already moved to the new key, as a crash in the middle leaves them.
    const both = readSecretBox(config.secretsKeyFile) as SecretBox;
    expect(both.keyIds).to.have.length(2);
    const report = await rotateSecretsKey(config, etcd);
    expect(report.to).to.equal(next.id);
    expect((readSecretBox(config.secretsKeyFile) as SecretBox).keyIds).to.deep.equal([next.id]);
    db = await openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile });
    expect((await new AppsRepo(db).get('shop')).config).to.deep.equal({ DATABASE_URL: SECRET });
  });

  it('refuses a key file other users can read', async () => {
    initSecretsKey(config.secretsKeyFile);
    fs.chmodSync(config.secretsKeyFile, 0o644);
    await expectUnreadable(openDatabase(config.databaseUrl, { keyFile: config.secretsKeyFile }), /can be read by other users.*chmod 600/);
  });
});
