/**
 * Migration 006 on an existing installation (a database at migration 005 holding apps, builds,
 * releases, domains, keys and a token): nothing is lost, the first user becomes the platform
 * admin with a personal team holding every app, and the admin's token and keys keep working.
 * On SQLite and on MariaDB.
 */
import { expect } from 'chai';
import knex, { type Knex } from 'knex';
import { createIdentityServices } from '../../../engine/identity-services';
import { hashToken } from '../../../engine/identity-service';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { connectionFor, openDatabase, type Database } from '../../../engine/store/database';
import { migrationSource } from '../../../engine/store/migrations';
import { ReleasesRepo } from '../../../engine/store/releases-repo';
import { TeamsRepo } from '../../../engine/store/teams-repo';
import { backends, type TestDatabase } from '../../support/databases';

const TOKEN = `slp_${'t'.repeat(43)}`;
const KEY_FP = 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** The schema as migrations 001–005 left it. */
async function migrateTo005(db: Knex): Promise<void> {
  await db.migrate.latest({
    migrationSource: { ...migrationSource, getMigrations: async (loaders) => (await migrationSource.getMigrations(loaders)).slice(0, 5) },
  });
  const done = (await db('knex_migrations').orderBy('id').select('name')).map((r: { name: string }) => r.name);
  expect(done.at(-1)).to.equal('005_app_maintenance');
}

/** What an installation of migration 005 holds: two users, a token, a key, two apps with builds, releases, formation, domains, buildpacks. */
async function fillLikeBefore(db: Knex, withUsers: boolean): Promise<void> {
  const at = new Date('2025-06-01T10:00:00.123Z');
  if (withUsers) {
    await db('users').insert([{ id: 1, name: 'admin', created_at: at }, { id: 2, name: 'second', created_at: at }]);
    await db('api_tokens').insert({ user_id: 1, token_hash: hashToken(TOKEN), created_at: at });
    await db('ssh_keys').insert({ user_id: 1, name: 'laptop', fingerprint: KEY_FP, public_key: 'ssh-ed25519 AAAA laptop', created_at: at });
  }
  for (const [id, name] of [[1, 'shop'], [2, 'blog']] as const) {
    await db('apps').insert({ id, name, config: JSON.stringify({ GREETING: `hello ${name}` }), current_release: 1, created_at: at, maintenance: id === 2 });
    await db('builds').insert({ id: `b-${name}`, app_id: id, status: 'succeeded', commit: 'c'.repeat(40), image: `reg/${name}:1`, digest: null,
      process_types: '{"web":"node index.js"}', log: 'built', duration_ms: 1000, created_at: at, app_json: null, image_size: 123, buildpacks: '["nodejs"]' });
    await db('releases').insert({ app_id: id, version: 1, build_id: `b-${name}`, config: JSON.stringify({ GREETING: `hello ${name}` }),
      description: 'Deploy ccccccc', status: 'succeeded', failure_reason: null, created_at: at });
    await db('formation').insert({ app_id: id, type: 'web', quantity: 2, memory_mb: 256, cpu: 0.25 });
    await db('domains').insert({ app_id: id, host: `www.${name}.example`, created_at: at });
    await db('app_buildpacks').insert({ app_id: id, position: 0, buildpack: 'nodejs' });
  }
}

async function counts(db: Knex): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of ['users', 'api_tokens', 'ssh_keys', 'apps', 'builds', 'releases', 'formation', 'domains', 'app_buildpacks']) {
    result[table] = Number((await db(table).count({ n: '*' }).first())?.n ?? 0);
  }
  return result;
}

for (const backend of backends) describe(`migration 006 (identity) on ${backend.name}`, () => {
  let testDb: TestDatabase | null = null;
  let db: Database | null = null;

  beforeEach(async () => {
    testDb = await backend.create();
  });

  afterEach(async () => {
    await db?.destroy();
    await testDb?.drop();
    db = null;
    testDb = null;
  });

  async function before005(withUsers: boolean): Promise<Record<string, number>> {
    const old = knex(connectionFor(testDb!.url));
    try {
      await migrateTo005(old);
      await fillLikeBefore(old, withUsers);
      return await counts(old);
    } finally {
      await old.destroy();
    }
  }

  it('keeps every row, makes the first user platform admin with a personal team holding every app, and keeps its token and keys working', async () => {
    const before = await before005(true);
    db = await openDatabase(testDb!.url);
    expect(await counts(db)).to.deep.equal(before);

    const teams = new TeamsRepo(db);
    const adminTeam = await teams.get('admin');
    expect(adminTeam).to.include({ personal: true });
    expect(adminTeam.memberPermissions).to.deep.equal(['view', 'deploy', 'operate']);
    expect((await teams.members(adminTeam.id)).map((m) => [m.userName, m.role])).to.deep.equal([['admin', 'admin']]);
    expect((await teams.members((await teams.get('second')).id)).map((m) => [m.userName, m.role])).to.deep.equal([['second', 'admin']]);
    const apps = new AppsRepo(db);
    for (const name of ['shop', 'blog']) {
      const app = await apps.get(name);
      expect(app.teamId, name).to.equal(adminTeam.id);
      expect(app.config).to.deep.equal({ GREETING: `hello ${name}` });
      expect((await new ReleasesRepo(db).get(app.id, 1)).createdBy).to.equal(null);
    }

    const { identity, teams: teamsService } = createIdentityServices(db);
    const principal = await identity.authenticate(TOKEN);
    expect(principal).to.include({ userName: 'admin', platformAdmin: true, scope: 'admin' });
    const second = await identity.getUser('second');
    expect(second.platformAdmin).to.equal(false);
    expect(await identity.userForFingerprint(KEY_FP)).to.equal('1');
    expect((await identity.authenticateKey(KEY_FP)).userName).to.equal('admin');
    expect((await identity.tokens(principal)).map((t) => [t.kind, t.scope, t.expiresAt, t.revokedAt])).to.deep.equal([['api', 'admin', null, null]]);
    expect(await identity.bootstrapAdmin()).to.equal(null);
    expect((await teamsService.teams(principal)).map((t) => t.name)).to.deep.equal(['admin', 'second']);
    expect((await teams.visibleAppIds(1)).length).to.equal(2);
  });

  it('puts the apps of a database without users in the team "default", which the first admin then administers', async () => {
    await before005(false);
    db = await openDatabase(testDb!.url);
    const teams = new TeamsRepo(db);
    const fallback = await teams.get('default');
    expect((await new AppsRepo(db).list()).map((a) => a.teamId)).to.deep.equal([fallback.id, fallback.id]);
    const { identity } = createIdentityServices(db, { passwordParams: { ln: 10, r: 8, p: 1 } });
    const made = await identity.bootstrapAdmin();
    expect((await teams.members(fallback.id)).map((m) => [m.userName, m.role])).to.deep.equal([['admin', 'admin']]);
    expect(await teams.visibleAppIds(made!.user.id)).to.have.length(2);
  });

  it('requires a team for every app from then on (NOT NULL, enforced on SQLite by triggers)', async () => {
    await before005(true);
    db = await openDatabase(testDb!.url);
    const at = new Date();
    let refused: unknown = null;
    try {
      await db('apps').insert({ name: 'orphan', config: '{}', current_release: null, created_at: at, team_id: null });
    } catch (error) {
      refused = error;
    }
    expect(String(refused)).to.match(/team_id/);
    refused = null;
    try {
      await db('apps').where({ name: 'shop' }).update({ team_id: null });
    } catch (error) {
      refused = error;
    }
    expect(String(refused)).to.match(/team_id/);
    expect((await new AppsRepo(db).get('shop')).teamId).to.be.a('number');
  });

  it('can be rolled back to 005 and applied again', async () => {
    await before005(true);
    db = await openDatabase(testDb!.url);
    // Down one migration at a time, the later ones (add-ons, drains, console sessions) first, to 005.
    while (!(await db.migrate.currentVersion({ migrationSource })).startsWith('005')) await db.migrate.down({ migrationSource });
    expect(await db.schema.hasTable('teams')).to.equal(false);
    // SQLite keeps the emptied column (see migration-006.ts's down); MySQL drops it.
    expect(await db.schema.hasColumn('apps', 'team_id')).to.equal(backend.name === 'SQLite');
    expect(await db.schema.hasColumn('users', 'password_hash')).to.equal(false);
    expect((await db('builds').count({ n: '*' }).first())?.n).to.equal(2);
    await db.migrate.latest({ migrationSource });
    expect((await new TeamsRepo(db).get('admin')).personal).to.equal(true);
  });
});
