/** Custom domains, TLS certificates and per-app HTTPS settings (tables of migration 003). */
import type { Knex } from 'knex';
import { certKeyContext, secretsOf } from './secret-columns';

/** A domain added with `domains:add` (an app's default `<app>.<domain>` is not stored). */
export interface CustomDomain {
  id: number;
  appId: number;
  /** Lowercase DNS name, or a wildcard `*.example.com`. */
  host: string;
  createdAt: Date;
}

export interface StoredCert {
  id: number;
  appId: number;
  /** The certificate's DNS names (SANs, or CN), lowercase. */
  names: string[];
  /** PEM chain, leaf first. */
  certificatePem: string;
  /** PEM, as given. */
  privateKeyPem: string;
  fingerprint: string;
  notAfter: Date;
  createdAt: Date;
}

export type NewCert = Omit<StoredCert, 'id' | 'appId' | 'createdAt'>;

type Row = Record<string, unknown>;

/** MySQL gives Date objects; SQLite (better-sqlite3) stores dates as epoch milliseconds. */
function date(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value));
  return new Date(String(value));
}

function domainFromRow(row: Row): CustomDomain {
  return { id: Number(row.id), appId: Number(row.app_id), host: String(row.host), createdAt: date(row.created_at) };
}

function certFromRow(row: Row): StoredCert {
  return {
    id: Number(row.id),
    appId: Number(row.app_id),
    names: JSON.parse(String(row.hosts)) as string[],
    certificatePem: String(row.certificate),
    privateKeyPem: String(row.private_key),
    fingerprint: String(row.fingerprint),
    notAfter: date(row.not_after),
    createdAt: date(row.created_at),
  };
}

/** A unique key refused the insert (SQLite and MySQL/MariaDB say so differently). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'ER_DUP_ENTRY';
}

export class DomainsRepo {
  constructor(private readonly db: Knex) {}

  async domains(appId: number): Promise<CustomDomain[]> {
    const rows = await this.db('domains').where({ app_id: appId }).orderBy('host');
    return rows.map(domainFromRow);
  }

  /** Which app has `host`, if any. */
  async owner(host: string): Promise<{ appId: number; app: string } | null> {
    const row = await this.db('domains').join('apps', 'apps.id', 'domains.app_id')
      .where('domains.host', host).first('apps.id as id', 'apps.name as name');
    return row ? { appId: Number(row.id), app: String(row.name) } : null;
  }

  /** Inserts the domain; a host some app already has fails with the store's unique violation (see isUniqueViolation). */
  async addDomain(appId: number, host: string, now = new Date()): Promise<CustomDomain> {
    const [id] = await this.db('domains').insert({ app_id: appId, host, created_at: now });
    return { id: Number(id), appId, host, createdAt: now };
  }

  /** True if the app had the domain. */
  async removeDomain(appId: number, host: string): Promise<boolean> {
    return (await this.db('domains').where({ app_id: appId, host }).delete()) > 0;
  }

  /** The app's certificates, oldest first. */
  async certs(appId: number): Promise<StoredCert[]> {
    const rows = await this.db('certs').where({ app_id: appId }).orderBy('id');
    // The private key column is sealed (engine/store/secret-columns.ts).
    const box = secretsOf(this.db);
    return rows.map((row: Record<string, unknown>) => certFromRow({ ...row, private_key: box.open(String(row.private_key), certKeyContext(appId)) }));
  }

  /** Stores a certificate and deletes the ones it replaces, in one transaction. */
  async addCert(appId: number, cert: NewCert, replacedIds: readonly number[], now = new Date()): Promise<StoredCert> {
    return this.db.transaction(async (trx) => {
      const [id] = await trx('certs').insert({
        app_id: appId,
        hosts: JSON.stringify(cert.names),
        certificate: cert.certificatePem,
        private_key: secretsOf(this.db).seal(cert.privateKeyPem, certKeyContext(appId)),
        fingerprint: cert.fingerprint,
        not_after: cert.notAfter,
        created_at: now,
      });
      if (replacedIds.length > 0) await trx('certs').where({ app_id: appId }).whereIn('id', [...replacedIds]).delete();
      return { ...cert, id: Number(id), appId, createdAt: now };
    });
  }

  async removeCerts(appId: number, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db('certs').where({ app_id: appId }).whereIn('id', [...ids]).delete();
  }

  async redirectHttps(appId: number): Promise<boolean> {
    const row = await this.db('tls_settings').where({ app_id: appId }).first();
    return row ? Boolean(Number(row.redirect_https)) : false;
  }

  async setRedirectHttps(appId: number, redirect: boolean): Promise<void> {
    await this.db.transaction(async (trx) => {
      // Read first: MySQL counts an UPDATE that changes nothing as 0 rows, like a missing one.
      const existing = await trx('tls_settings').where({ app_id: appId }).first();
      if (existing) await trx('tls_settings').where({ app_id: appId }).update({ redirect_https: redirect });
      else await trx('tls_settings').insert({ app_id: appId, redirect_https: redirect });
    });
  }
}
