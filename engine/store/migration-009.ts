import type { Knex } from 'knex';

/**
 * Console sessions (docs/console.md): one row per signed-in browser. Only a SHA-256 of the session
 * secret is stored (the cookie holds the secret), so a copy of the database signs nobody in.
 */
export const consoleSessions = {
  name: '009_console_sessions',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('console_sessions', (t) => {
      if ((db.client as { dialect?: string }).dialect === 'mysql') {
        t.engine('InnoDB');
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
      }
      t.string('id_hash', 64).primary();
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      // The login token the identity service made at sign-in (its secret is never kept): revoked at sign-out.
      t.integer('token_id').unsigned().nullable().references('api_tokens.id').onDelete('CASCADE');
      t.string('csrf_token', 64).notNullable();
      t.string('address', 64).notNullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.datetime('last_seen_at', { precision: 3 }).notNullable();
      t.datetime('expires_at', { precision: 3 }).notNullable();
      t.index(['expires_at']);
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.dropTableIfExists('console_sessions');
  },
};
