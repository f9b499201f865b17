/**
 * Which columns hold secrets, how each value's context is named (lib/secret-box.ts binds a sealed
 * value to it), and the one pass that (re-)seals them all: the migration of plaintext rows when a
 * database is opened, and the re-sealing of a key rotation (platform/secrets-main.ts).
 *
 * Each Database opened by openDatabase carries the SecretBox its repos seal and open with.
 */
import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { isSealed, SEALED_PREFIX, sealedKeyId, type SecretBox } from '../../lib/secret-box';

/** An app's config vars, current (apps.config) or a release's snapshot (releases.config): one context, so markSucceeded copies the sealed text. */
export const configContext = (appId: number): string => `config:${appId}`;
/** An add-on's credentials or external URL (addons.secret). */
export const addonSecretContext = (addonId: number): string => `addon:${addonId}`;
/** A TLS certificate's private key (certs.private_key). */
export const certKeyContext = (appId: number): string => `cert-key:${appId}`;

interface SecretColumn {
  readonly table: string;
  readonly column: string;
  readonly context: (row: Record<string, unknown>) => string;
}

export const SECRET_COLUMNS: readonly SecretColumn[] = [
  { table: 'apps', column: 'config', context: (row) => configContext(Number(row.id)) },
  { table: 'releases', column: 'config', context: (row) => configContext(Number(row.app_id)) },
  { table: 'certs', column: 'private_key', context: (row) => certKeyContext(Number(row.app_id)) },
  { table: 'addons', column: 'secret', context: (row) => addonSecretContext(Number(row.id)) },
];

const boxes = new WeakMap<object, SecretBox>();

export function attachSecretBox(db: Knex, box: SecretBox): void {
  boxes.set(db, box);
}

/** The SecretBox of a database opened by openDatabase; an error (never plaintext) for any other. */
export function secretsOf(db: Knex): SecretBox {
  const box = boxes.get(db);
  if (!box) throw new SlipwayError('internal', 'This database was not opened with openDatabase: it has no secrets key to seal config values and private keys with.');
  return box;
}

/**
 * Seals every secret value that is not sealed with `to`'s current key yet: plaintext rows (an
 * installation from before sealing) and rows sealed with an older key, opened with `from`.
 * Batches of rows, each batch in one transaction. Returns how many values were (re-)sealed.
 */
export async function resealAll(db: Knex, from: SecretBox, to: SecretBox, batchSize = 500): Promise<number> {
  let changed = 0;
  for (const { table, column, context } of SECRET_COLUMNS) {
    let lastId = 0;
    for (;;) {
      // Only rows not sealed with the current key yet: a start with everything sealed reads none.
      const rows = (await db(table).where('id', '>', lastId).whereNot(column, 'like', `${SEALED_PREFIX}${to.current.id}:%`)
        .orderBy('id').limit(batchSize).select('id', table === 'apps' || table === 'addons' ? 'id' : 'app_id', column)) as Array<Record<string, unknown>>;
      if (rows.length === 0) break;
      lastId = Number(rows[rows.length - 1]!.id);
      const updates: Array<{ id: number; value: string }> = [];
      for (const row of rows) {
        const value = String(row[column]);
        if (isSealed(value) && sealedKeyId(value) === to.current.id) continue;
        const plaintext = isSealed(value) ? from.open(value, context(row)) : value;
        updates.push({ id: Number(row.id), value: to.seal(plaintext, context(row)) });
      }
      if (updates.length === 0) continue;
      await db.transaction(async (trx) => {
        for (const update of updates) await trx(table).where({ id: update.id }).update({ [column]: update.value });
      });
      changed += updates.length;
    }
  }
  return changed;
}

/** True if any secret column holds a sealed value (then the key that sealed it is needed). */
export async function hasSealedValues(db: Knex): Promise<boolean> {
  for (const { table, column } of SECRET_COLUMNS) {
    const row = await db(table).where(column, 'like', 'slipway-sealed:%').first('id');
    if (row) return true;
  }
  return false;
}
