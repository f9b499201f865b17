import type { Knex } from 'knex';

/**
 * Custom domains, TLS certificates and per-app HTTPS settings (docs/cli.md "Domains and TLS").
 * Every row belongs to an app and goes with it (ON DELETE CASCADE).
 *
 * Private keys are stored as given (PEM text), like the rest of the state: encrypting them at rest
 * is future work.
 */
export const domainsAndCerts = {
  name: '003_domains_and_certs',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('domains', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      // A DNS name is ASCII and at most 253 characters: in ascii_bin the unique key takes 253 bytes
      // on MySQL, within InnoDB's limits on any row format. (SQLite ignores the collation.)
      t.string('host', 253).notNullable().unique().collate('ascii_bin');
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.index(['app_id']);
    });
    await db.schema.createTable('certs', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.text('hosts').notNullable(); // JSON array of the certificate's DNS names
      t.text('certificate', 'mediumtext').notNullable(); // PEM chain, leaf first
      t.text('private_key').notNullable(); // PEM, as given
      t.string('fingerprint', 100).notNullable(); // SHA-256 of the leaf, AB:CD:…
      t.datetime('not_after', { precision: 3 }).notNullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.index(['app_id']);
    });
    await db.schema.createTable('tls_settings', (t) => {
      mysqlTable(db, t);
      t.integer('app_id').unsigned().notNullable().primary().references('apps.id').onDelete('CASCADE');
      t.boolean('redirect_https').notNullable().defaultTo(false);
    });
  },
  async down(db: Knex): Promise<void> {
    for (const table of ['tls_settings', 'certs', 'domains']) await db.schema.dropTableIfExists(table);
  },
};

/** As in migrations.ts (which imports this file, so it cannot be imported from here): InnoDB, utf8mb4, binary collation. */
function mysqlTable(db: Knex, t: Knex.CreateTableBuilder): void {
  if ((db.client as { dialect?: string }).dialect !== 'mysql') return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}
