import type { Knex } from 'knex';

/**
 * Identity (issue 11): users with passwords, API tokens with scopes and expiry, teams and their
 * members, collaborators per app, the audit log, and who caused each build and release.
 *
 * An existing installation keeps everything: its first user becomes the platform admin with a
 * personal team named after it, every existing app goes to that team, every user keeps its keys
 * and its tokens (which keep full power: scope admin). Every other user gets a personal team too.
 * Apps of a database with no user at all (never made by scripts/up, but possible) go to a team
 * named "default" that the first admin is made admin of when created (IdentityService).
 *
 * apps.team_id is required. MySQL gets a NOT NULL column once filled. SQLite can neither add a NOT
 * NULL column without a default nor change a column's nullability without rebuilding the table,
 * and rebuilding `apps` inside the migration's transaction (where SQLite ignores `PRAGMA
 * foreign_keys = OFF`) would drop it with its builds, releases and domains through ON DELETE
 * CASCADE: two triggers refuse a missing team instead, which is what NOT NULL would do.
 */
export const DEFAULT_TEAM_NAME = 'default';
const DEFAULT_MEMBER_PERMISSIONS = JSON.stringify(['view', 'deploy', 'operate']);

function isMysql(db: Knex): boolean {
  return (db.client as { dialect?: string }).dialect === 'mysql';
}

/** As in migrations.ts (which imports this file): InnoDB, utf8mb4, binary collation. */
function mysqlTable(db: Knex, t: Knex.CreateTableBuilder): void {
  if (!isMysql(db)) return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

const at = (t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, name: string) => t.datetime(name, { precision: 3 });

export const identity = {
  name: '006_identity',
  async up(db: Knex): Promise<void> {
    await db.schema.alterTable('users', (t) => {
      t.string('email', 254).nullable().unique();
      t.string('password_hash', 200).nullable();
      t.boolean('platform_admin').notNullable().defaultTo(false);
      at(t, 'disabled_at').nullable();
    });
    await db.schema.alterTable('api_tokens', (t) => {
      t.string('description', 200).nullable();
      // Least power by default: the repos always write a scope; rows from before are set below.
      t.string('scope', 8).notNullable().defaultTo('read');
      at(t, 'expires_at').nullable();
      at(t, 'revoked_at').nullable();
      at(t, 'last_used_at').nullable();
      t.string('kind', 8).notNullable().defaultTo('api');
    });
    await db.schema.createTable('teams', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.string('name', 64).notNullable().unique();
      t.boolean('personal').notNullable().defaultTo(false);
      t.text('member_permissions').notNullable(); // JSON list, e.g. ["view","deploy","operate"]
      at(t, 'created_at').notNullable();
    });
    await db.schema.createTable('team_members', (t) => {
      mysqlTable(db, t);
      t.integer('team_id').unsigned().notNullable().references('teams.id').onDelete('CASCADE');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('role', 8).notNullable(); // admin | member | viewer
      at(t, 'created_at').notNullable();
      t.primary(['team_id', 'user_id']);
      t.index(['user_id']);
    });
    await db.schema.createTable('app_access', (t) => {
      mysqlTable(db, t);
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.text('permissions').notNullable(); // JSON list of view, deploy, operate, manage
      at(t, 'created_at').notNullable();
      t.primary(['app_id', 'user_id']);
      t.index(['user_id']);
    });
    await db.schema.createTable('audit_log', (t) => {
      mysqlTable(db, t);
      t.bigIncrements('id');
      at(t, 'at').notNullable();
      // Snapshots, not foreign keys: the log outlives what it names.
      t.integer('user_id').nullable();
      t.string('user_name', 64).nullable();
      t.string('via', 16).notNullable(); // token | session | ssh-key | platform
      t.string('credential', 100).nullable(); // token id or key fingerprint, never a secret
      t.string('address', 100).nullable();
      t.string('action', 64).notNullable();
      t.string('app_name', 30).nullable();
      t.string('team_name', 64).nullable();
      t.string('result', 8).notNullable(); // ok | refused | failed
      t.text('detail').notNullable(); // JSON object, without secrets
      t.index(['app_name', 'id']);
      t.index(['team_name', 'id']);
      t.index(['user_id', 'id']);
    });
    await db.schema.alterTable('builds', (t) => {
      t.string('created_by', 64).nullable();
    });
    await db.schema.alterTable('releases', (t) => {
      t.string('created_by', 64).nullable();
    });

    if (isMysql(db)) {
      await db.schema.alterTable('apps', (t) => {
        t.integer('team_id').unsigned().nullable();
      });
    } else if (!(await db.schema.hasColumn('apps', 'team_id'))) {
      // A REFERENCES clause on an added SQLite column is allowed with a NULL default only.
      // (The column may be there already: down() leaves it on SQLite, see there.)
      await db.raw('ALTER TABLE `apps` ADD COLUMN `team_id` integer NULL REFERENCES `teams` (`id`)');
    }

    await adoptExistingInstallation(db);

    if (isMysql(db)) {
      await db.schema.alterTable('apps', (t) => {
        t.integer('team_id').unsigned().notNullable().alter();
        t.foreign('team_id').references('teams.id');
        t.index(['team_id']);
      });
    } else {
      await db.raw('CREATE INDEX `apps_team_id_index` ON `apps` (`team_id`)');
      for (const event of ['INSERT', 'UPDATE OF team_id']) {
        const name = event === 'INSERT' ? 'apps_team_required_insert' : 'apps_team_required_update';
        await db.raw(`CREATE TRIGGER \`${name}\` BEFORE ${event} ON \`apps\` FOR EACH ROW WHEN NEW.team_id IS NULL ` +
          "BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: apps.team_id'); END");
      }
    }
  },
  /**
   * On SQLite, columns are dropped with ALTER TABLE … DROP COLUMN, never by rebuilding a table
   * (knex's way, which would cascade through the foreign keys or fail on them). apps.team_id
   * stays there, emptied: SQLite cannot drop a column that has a foreign key without rebuilding
   * `apps`; the code of 005 never reads it, and up() takes it as it finds it.
   */
  async down(db: Knex): Promise<void> {
    const mysql = isMysql(db);
    if (mysql) {
      await db.schema.alterTable('apps', (t) => {
        t.dropForeign(['team_id']);
        t.dropIndex(['team_id']);
        t.dropColumn('team_id');
      });
    } else {
      await db.raw('DROP TRIGGER IF EXISTS `apps_team_required_insert`');
      await db.raw('DROP TRIGGER IF EXISTS `apps_team_required_update`');
      await db.raw('DROP INDEX IF EXISTS `apps_team_id_index`');
      await db('apps').update({ team_id: null });
    }
    for (const table of ['audit_log', 'app_access', 'team_members', 'teams']) await db.schema.dropTableIfExists(table);
    const dropColumns = async (table: string, columns: string[]) => {
      if (mysql) {
        await db.schema.alterTable(table, (t) => { for (const column of columns) t.dropColumn(column); });
      } else {
        for (const column of columns) await db.raw(`ALTER TABLE \`${table}\` DROP COLUMN \`${column}\``);
      }
    };
    await dropColumns('builds', ['created_by']);
    await dropColumns('releases', ['created_by']);
    await dropColumns('api_tokens', ['description', 'scope', 'expires_at', 'revoked_at', 'last_used_at', 'kind']);
    await db.schema.alterTable('users', (t) => t.dropUnique(['email']));
    await dropColumns('users', ['email', 'password_hash', 'platform_admin', 'disabled_at']);
  },
};

/** The data half of the migration: admin, personal teams, apps and tokens of the installation as it was. */
async function adoptExistingInstallation(db: Knex): Promise<void> {
  const now = new Date();
  // Tokens made before scopes could do anything: they keep that power.
  await db('api_tokens').update({ scope: 'admin', kind: 'api', description: 'Created by scripts/up' });

  const users = (await db('users').orderBy('id').select('id', 'name')) as Array<{ id: number; name: string }>;
  let adminTeam: number | null = null;
  for (const [index, user] of users.entries()) {
    const [teamId] = await db('teams').insert({ name: user.name, personal: true, member_permissions: DEFAULT_MEMBER_PERMISSIONS, created_at: now });
    await db('team_members').insert({ team_id: Number(teamId), user_id: user.id, role: 'admin', created_at: now });
    if (index === 0) {
      await db('users').where({ id: user.id }).update({ platform_admin: true });
      adminTeam = Number(teamId);
    }
  }
  const appCount = Number((await db('apps').count({ n: '*' }).first())?.n ?? 0);
  if (appCount === 0) return;
  if (adminTeam === null) {
    const [teamId] = await db('teams').insert({ name: DEFAULT_TEAM_NAME, personal: false, member_permissions: DEFAULT_MEMBER_PERMISSIONS, created_at: now });
    adminTeam = Number(teamId);
  }
  await db('apps').update({ team_id: adminTeam });
}
