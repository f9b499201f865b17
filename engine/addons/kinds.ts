/**
 * The add-on servers' port: what the add-on service (provisioning, bindings, backups, the
 * reconciler) asks of the servers, whatever runs them. The Docker adapter is
 * engine/addons/docker-servers.ts; a fake for unit tests is test/unit/engine/addons/fake-servers.ts.
 * This module has no I/O.
 */
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';

export const ADDON_KINDS = ['postgresql', 'mysql', 'redis'] as const;
export type AddonKind = (typeof ADDON_KINDS)[number];

export const ADDON_PLANS = ['small', 'medium'] as const;
export type AddonPlan = (typeof ADDON_PLANS)[number];

export function isAddonKind(value: unknown): value is AddonKind {
  return typeof value === 'string' && (ADDON_KINDS as readonly string[]).includes(value);
}

export function isAddonPlan(value: unknown): value is AddonPlan {
  return typeof value === 'string' && (ADDON_PLANS as readonly string[]).includes(value);
}

/**
 * One set of credentials: a login `user` with `password` on `database`. Redis has users too (ACL,
 * Redis 6+; the URL carries the user, `redis://user:password@host:6379`), and ignores `database`.
 * Rotation makes a new set with a new `user` (generateCredentials with the same database) so that
 * the old and the new work side by side until the old is revoked, which also disconnects it.
 */
export interface AddonCredentials {
  user: string;
  password: string;
  database: string;
}

/** Everything needed to run one add-on's server. `addonName` is a valid app-style name. */
export interface AddonServerSpec {
  addonName: string;
  kind: AddonKind;
  teamId: number;
  plan: AddonPlan;
  credentials: AddonCredentials;
}

/** Where bound apps reach the server: `host` is a stable name on the team's network. */
export interface AddonEndpoint {
  host: string;
  port: number;
}

export type AddonServerState = 'running' | 'starting' | 'stopped' | 'missing' | 'unhealthy';

/** A step of `ensure`, for visible progress (`addons:wait`). */
export interface EnsureProgress {
  phase: 'image' | 'volume' | 'container' | 'starting' | 'initialising' | 'healthy';
  message: string;
}

/** One server as the runtime sees it, for the reconciler (labels say which add-on it is). */
export interface AddonServerInfo {
  addonName: string;
  kind: AddonKind;
  teamId: number;
  plan: AddonPlan;
  state: AddonServerState;
}

/**
 * What a backup holds, counted from the dump itself as its verification loads it (so the counts
 * describe exactly the snapshot that was dumped): PostgreSQL `schema.table` → rows, MySQL
 * `table` → rows, Redis `db<N>` → keys.
 */
export type DataCounts = Record<string, number>;

export interface BackupResult {
  /** Bytes written (compressed). */
  bytes: number;
  durationMs: number;
  /** How the stream is made, e.g. `pg_dump-plain+gzip`, `mysqldump+gzip`, `redis-rdb+gzip`. */
  format: string;
}

export interface VerifyResult {
  ok: boolean;
  /** What the backup holds, counted from the dump as it loaded; null when it could not be read whole. */
  expected: DataCounts | null;
  /** Counts read from the scratch server after the restore; null when the restore itself failed. */
  actual: DataCounts | null;
  /** Human-readable differences, e.g. `public.users: expected 10 rows, found 9`. */
  mismatches: string[];
  /** Why the restore failed, when it did. */
  error?: string;
  durationMs: number;
}

/**
 * A backup to load: its file (read by the server driver as it sees fit: a `gzip -dc` of its own
 * reads it fastest) or a stream of it (tests, uploads). Either way gzip-compressed. `verified`
 * says the file passed `verify` (so its dump was whole: the tool's completion mark was seen);
 * gzip's own checksum proves it unchanged since, and a restore may then load it without reading
 * it through Slipway to look for the mark again.
 */
export type BackupInput = Readable | { readonly file: string; readonly verified?: boolean };

/**
 * Where a backup goes: a stream (tests), or a file to create (`wx`, mode 0600: it must not exist),
 * which the server driver's compressor may then write itself, with no byte through this process.
 */
export type BackupOutput = Writable | { readonly file: string };

export interface RemoveOptions {
  /** Keep the data volume (e.g. to recreate the container later); default false. */
  keepVolume: boolean;
}

export interface AddonServers {
  /** The image the kind's server (and its client, for `addons:connect`) runs. */
  imageOf(kind: AddonKind): string;
  /**
   * Idempotent: creates the volume and the container when missing, starts it, waits until it is
   * healthy and the credentials work. A second call (or one after a crash halfway) converges on
   * the same single container. `spec.credentials` are set at first initialisation only; later
   * changes go through rotate/revoke.
   */
  ensure(spec: AddonServerSpec, onProgress?: (progress: EnsureProgress) => void): Promise<AddonEndpoint>;
  status(addonName: string): Promise<AddonServerState>;
  /** Every add-on server the runtime has (by label), for the reconciler. */
  list(): Promise<AddonServerInfo[]>;
  /** Removes the container (and the volume unless keepVolume). Missing is not an error. */
  remove(addonName: string, options: RemoveOptions): Promise<void>;
  /**
   * Removes the scratch servers of backup verifications that no verification uses any more (a
   * crash of Slipway mid-verify leaves one behind, holding a copy of the data), with their
   * volumes. Returns their names.
   */
  removeStaleScratch(): Promise<string[]>;
  /** Adds `next` beside the current credentials; both work until `revokeCredentials(old)`. */
  rotateCredentials(addonName: string, next: AddonCredentials): Promise<void>;
  /** Makes `old` stop working, and closes the sessions still using it. */
  revokeCredentials(addonName: string, old: AddonCredentials): Promise<void>;
  /**
   * Writes a consistent, gzip-compressed dump to `out` (a stream is not ended on failure). Rejects
   * when the dump did not complete (server stopped mid-dump, the dump tool or gzip failed). It
   * does not read the dump: what it holds is counted, and its completion mark checked, by `verify`.
   */
  backup(addonName: string, out: BackupOutput): Promise<BackupResult>;
  /** Replaces the add-on's data with a backup made by `backup` (gzip). */
  restore(addonName: string, input: BackupInput): Promise<void>;
  /**
   * Restores `input` (a backup of `kind`) into a scratch server that is removed afterwards,
   * counting what the dump holds as it loads, and compares those counts with the scratch server's.
   * Never throws for a bad backup: `ok: false` with the reason.
   */
  verify(kind: AddonKind, input: BackupInput): Promise<VerifyResult>;
}

export const ADDON_PORTS: Record<AddonKind, number> = { postgresql: 5432, mysql: 3306, redis: 6379 };

/** The config var an add-on of this kind sets by default (MySQL uses DATABASE_URL with mysql://). */
export const DEFAULT_CONFIG_VAR: Record<AddonKind, string> = {
  postgresql: 'DATABASE_URL',
  mysql: 'DATABASE_URL',
  redis: 'REDIS_URL',
};

/** The URL bound apps get. Credentials are URL-safe by construction; encoded anyway. */
export function connectionUrl(kind: AddonKind, endpoint: AddonEndpoint, credentials: AddonCredentials): string {
  const host = `${endpoint.host}:${endpoint.port}`;
  const password = encodeURIComponent(credentials.password);
  switch (kind) {
    case 'postgresql':
      return `postgres://${encodeURIComponent(credentials.user)}:${password}@${host}/${encodeURIComponent(credentials.database)}`;
    case 'mysql':
      return `mysql://${encodeURIComponent(credentials.user)}:${password}@${host}/${encodeURIComponent(credentials.database)}`;
    case 'redis':
      return `redis://${encodeURIComponent(credentials.user)}:${password}@${host}`;
  }
}

const USER_PATTERN = /^u[a-z0-9]{7,31}$/;
const PASSWORD_PATTERN = /^[A-Za-z0-9]{32,64}$/;
const DATABASE_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Credentials as the servers accept them: the adapter puts them into SQL and ACL commands, so
 * their alphabet is checked here, once, rather than quoted at each use.
 */
export function validCredentials(credentials: AddonCredentials): boolean {
  return (
    USER_PATTERN.test(credentials.user) &&
    PASSWORD_PATTERN.test(credentials.password) &&
    DATABASE_PATTERN.test(credentials.database)
  );
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomString(length: number, alphabet: string): string {
  let out = '';
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/**
 * Fresh credentials: a random user (`u` + 15 characters), a 40-character password (~238 bits)
 * and, unless given (rotation keeps the database), the database name derived from the add-on.
 */
export function generateCredentials(addonName: string, database?: string): AddonCredentials {
  return {
    user: `u${randomString(15, ALPHABET.slice(0, 26) + '0123456789')}`,
    password: randomString(40, ALPHABET),
    database: database ?? databaseNameFor(addonName),
  };
}

/** `my-db` → `my_db`: a database name every kind accepts unquoted. */
export function databaseNameFor(addonName: string): string {
  const name = addonName.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '');
  return (name || 'db').slice(0, 63);
}
