/**
 * Add-ons, the pure part: kinds, plans, states, names, attachment names and the config vars an
 * attachment owns. No I/O (docs/addons.md).
 */
import crypto from 'node:crypto';
import { SlipwayError } from '../../lib/errors';
import { ADDON_KINDS, ADDON_PLANS, type AddonCredentials, type AddonEndpoint, type AddonKind as ServerKindOfPort, type AddonPlan, type DataCounts } from './kinds';

/** Kinds Slipway runs a server for (engine/addons/kinds.ts). */
export const SERVER_KINDS = ADDON_KINDS;
export type ServerKind = ServerKindOfPort;
/** `external`: a user-provided service (a URL), bound like an add-on, with no server of ours. */
export type AddonKind = ServerKind | 'external';
export const PLANS = ADDON_PLANS;
export type Plan = AddonPlan;
export const DEFAULT_PLAN: Plan = 'small';
export type ServerCredentials = AddonCredentials;

export type AddonState = 'provisioning' | 'available' | 'failed' | 'deprovisioning';
/** What the last reconcile pass saw of the server (external add-ons are always 'unknown'). */
export type AddonHealth = 'healthy' | 'unhealthy' | 'unknown';

export interface Addon {
  id: number;
  name: string;
  kind: AddonKind;
  plan: Plan;
  teamId: number;
  state: AddonState;
  health: AddonHealth;
  /** Why the add-on is failed (or unhealthy), for `addons:info`; never holds a secret. */
  stateReason: string | null;
  createdAt: Date;
}

/**
 * What is sealed in an add-on's record: a server's credentials (the previous ones too while a
 * rotation is under way) and where apps reach it, or an external service's URL.
 */
export type AddonSecret =
  | { kind: 'server'; current: ServerCredentials; previous: ServerCredentials | null; endpoint: AddonEndpoint | null }
  | { kind: 'external'; url: string };

export interface Attachment {
  id: number;
  addonId: number;
  appId: number;
  /** DATABASE, REDIS or the --as name; the app gets `<NAME>_URL`. */
  name: string;
  /** The config vars this attachment owns on the app, in the order set. */
  configKeys: string[];
  createdAt: Date;
}

/** `apps:link APP OTHER`: APP gets `<NAME>_URL` pointing at OTHER's web process on the team network. */
export interface AppLink {
  id: number;
  appId: number;
  targetAppId: number;
  name: string;
  configKey: string;
  createdAt: Date;
}

export type BackupStatus = 'pending' | 'running' | 'succeeded' | 'verified' | 'failed';
export const FINISHED_BACKUP: ReadonlySet<BackupStatus> = new Set(['verified', 'failed']);

export interface Backup {
  id: number;
  addonId: number;
  /** Per add-on: b001, b002, … (Heroku's numbering). */
  number: number;
  status: BackupStatus;
  trigger: 'manual' | 'scheduled';
  sizeBytes: number | null;
  durationMs: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** What the dump holds (tables → rows, Redis dbs → keys), counted by the verify step as it loaded the dump; null until verified. */
  counts: DataCounts | null;
  createdAt: Date;
}

export interface BackupSchedule {
  addonId: number;
  /** HH:MM, UTC. */
  at: string;
  keep: number;
  lastRunAt: Date | null;
}

export function isServerKind(kind: string): kind is ServerKind {
  return (SERVER_KINDS as readonly string[]).includes(kind);
}

export function parseKind(kind: unknown): AddonKind {
  if (typeof kind === 'string' && (isServerKind(kind) || kind === 'external')) return kind;
  throw new SlipwayError('invalid_request',
    `Unknown add-on kind ${JSON.stringify(kind)}: use postgresql, mysql, redis, or external (with --url). Nothing was created.`);
}

export function parsePlan(plan: unknown): Plan {
  if (plan === undefined || plan === null) return DEFAULT_PLAN;
  if (typeof plan === 'string' && (PLANS as readonly string[]).includes(plan)) return plan as Plan;
  throw new SlipwayError('invalid_request', `Unknown plan ${JSON.stringify(plan)}: use small or medium. Nothing was created.`);
}

/** An attachment (and link) name: a config var prefix, upper case (DATABASE, CACHE, ANALYTICS_DB). */
const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]{0,39}$/;

/** `--as name` → NAME. Lower case is taken as upper case (Heroku does so); anything else is refused. */
export function parseAttachmentName(name: unknown): string {
  if (typeof name !== 'string') throw new SlipwayError('invalid_request', 'The attachment name (--as) must be a string.');
  const upper = name.trim().toUpperCase().replace(/-/g, '_');
  if (!ATTACHMENT_NAME.test(upper) || upper.endsWith('_URL')) {
    throw new SlipwayError('invalid_request',
      `"${name}" cannot name an attachment: use letters, digits and "_" (a letter first, 40 at most, not ending in _URL), e.g. --as ANALYTICS_DB. Nothing was changed.`);
  }
  return upper;
}

/** The attachment name an add-on of this kind gets without --as. */
export function defaultAttachmentName(kind: ServerKind): string {
  return kind === 'redis' ? 'REDIS' : 'DATABASE';
}

/** The default name of an external service's attachment, from its URL's scheme; null when the scheme does not tell. */
export function externalDefaultName(url: string): string | null {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (['postgres', 'postgresql', 'mysql', 'mysql2'].includes(scheme)) return 'DATABASE';
  if (['redis', 'rediss'].includes(scheme)) return 'REDIS';
  return null;
}

/**
 * The config vars an attachment owns: `<NAME>_URL`, and the kind's usual variable (DATABASE_URL,
 * REDIS_URL) too when --as named it otherwise and nothing on the app owns that one yet (the issue:
 * "plus `<NAME>_URL` when --as names the attachment").
 */
export function attachmentKeys(name: string, usual: string | null, ownedOnApp: ReadonlySet<string>): string[] {
  const keys = [`${name}_URL`];
  if (usual !== null && usual !== name && !ownedOnApp.has(`${usual}_URL`)) keys.push(`${usual}_URL`);
  return keys;
}

const ADJECTIVES = ['amber', 'brave', 'calm', 'curly', 'deep', 'fluffy', 'gentle', 'humble', 'jagged', 'lively', 'misty',
  'opaque', 'polished', 'quiet', 'rigid', 'shallow', 'silver', 'solid', 'sturdy', 'tidy', 'vast', 'warm'];

/** Heroku's add-on names: `postgresql-curly-12345`. */
export function generateAddonName(kind: AddonKind, random: () => number = () => crypto.randomInt(0, 1_000_000) / 1_000_000): string {
  const adjective = ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]!;
  const number = String(10000 + Math.floor(random() * 90000));
  return `${kind}-${adjective}-${number}`;
}

/** Add-on names as given on the command line: what generateAddonName makes (and no more). */
const ADDON_NAME = /^[a-z][a-z0-9-]{2,62}$/;

/** The answer for a name no add-on has (or none the caller's app may know of). */
export function addonNotFound(name: string): SlipwayError {
  return new SlipwayError('addon_not_found', `There is no add-on named ${JSON.stringify(name)}. Run \`slipway addons\` to list them.`);
}

export function assertAddonName(name: string): void {
  if (!ADDON_NAME.test(name)) throw addonNotFound(name);
}

/** `b007` for backup 7. */
export function backupLabel(number: number): string {
  return `b${String(number).padStart(3, '0')}`;
}

/** "b007" or "7" → 7; anything else is refused. */
export function parseBackupId(id: unknown): number {
  const match = typeof id === 'string' ? /^b?0*([1-9][0-9]{0,8})$/i.exec(id.trim()) : null;
  if (!match) throw new SlipwayError('invalid_request', `${JSON.stringify(id)} is not a backup id: give it as b001 (see \`slipway addons:backups NAME\`).`);
  return Number(match[1]);
}

/** A URL with its password (and any userinfo) hidden, for `addons:info` without --reveal. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '*****';
    return parsed.toString();
  } catch {
    return '*****';
  }
}

/**
 * A user-provided service's URL: absolute, with a scheme and a host, no spaces, 2 kB at most.
 * Never echoed back in an error (it may hold a password).
 */
export function parseExternalUrl(url: unknown): string {
  const refuse = (why: string): never => {
    throw new SlipwayError('invalid_request', `The --url of an external service ${why}. Nothing was created.`);
  };
  if (typeof url !== 'string' || url.trim() === '') return refuse('is required (e.g. --url postgres://user:pass@db.example.com:5432/app)');
  if (url.length > 2048) return refuse('is longer than 2048 characters');
  if (/[\s\0]/.test(url)) return refuse('contains spaces or control characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('is not a valid URL (scheme://host…)');
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol) || parsed.hostname === '') return refuse('must have a scheme and a host, e.g. postgres://db.example.com/app');
  return url;
}
