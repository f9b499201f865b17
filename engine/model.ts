/** The engine's domain: plain data, no I/O. Mirrors Heroku's model (see docs/contracts/api.md). */

export type ConfigVars = Readonly<Record<string, string>>;
export type ProcessTypes = Readonly<Record<string, string>>;

export interface App {
  id: number;
  name: string;
  config: ConfigVars;
  currentRelease: number | null;
  createdAt: Date;
  /** The team that owns the app (migration 006); every stored app has one. */
  teamId?: number;
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export interface Build {
  id: string;
  appId: number;
  status: BuildStatus;
  commit: string;
  image: string | null;
  digest: string | null;
  processTypes: ProcessTypes;
  log: string;
  durationMs: number | null;
  /** app.json of the commit, as text (null when the commit has none). */
  appJson: string | null;
  createdAt: Date;
  /** Size of the built image in bytes (the stack included), once built. */
  imageSize?: number | null;
  /** The image a `deploy --image` build imported, as given; null for builds from a push. */
  sourceImage?: string | null;
  /** The buildpacks that built it, in order (empty for Dockerfile and image builds). */
  buildpacks?: string[];
  /** The name of the user who caused it (as it was then); null when the platform did. */
  createdBy?: string | null;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface Release {
  id: number;
  appId: number;
  version: number;
  buildId: string | null;
  config: ConfigVars;
  description: string;
  status: ReleaseStatus;
  failureReason: string | null;
  createdAt: Date;
  /** The name of the user who caused it (as it was then); null when the platform did (Heroku's `releases` shows it). */
  createdBy?: string | null;
}

export interface FormationEntry {
  type: string;
  quantity: number;
  /** Memory limit of each instance, in megabytes. */
  memoryMb: number;
  /** CPU limit of each instance, in cores. */
  cpu: number;
}

/** Heroku's standard-1X: 512 MB; half a core. `ps:resize` changes them per process type. */
export const DEFAULT_SIZE = Object.freeze({ memoryMb: 512, cpu: 0.5 });

export interface SshKey {
  id: number;
  userId: number;
  name: string;
  fingerprint: string;
  publicKey: string;
  createdAt: Date;
}

export interface User {
  id: number;
  name: string;
}

/**
 * Who caused a build or a release, recorded with it: a user, or null for the platform itself
 * (the reconciler, or a caller that knows no user yet).
 */
export type Actor = { userId: number; name: string } | null;

/** A user as the accounts commands show it (never the password hash). */
export interface UserAccount extends User {
  email: string | null;
  platformAdmin: boolean;
  disabledAt: Date | null;
  createdAt: Date;
}

export type TokenKind = 'login' | 'api';

/** An API token as listed (`tokens`): everything but the secret, which only its hash stands for. */
export interface ApiToken {
  id: number;
  userId: number;
  kind: TokenKind;
  scope: 'read' | 'deploy' | 'admin';
  description: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

/** A team owns apps (and later add-ons and a network); a user's personal team is named after them. */
export interface Team {
  id: number;
  name: string;
  personal: boolean;
  /** What members (role `member`) may do on every app of the team. */
  memberPermissions: Array<'view' | 'deploy' | 'operate' | 'manage'>;
  createdAt: Date;
}

export interface TeamMember {
  teamId: number;
  userId: number;
  userName: string;
  role: 'admin' | 'member' | 'viewer';
  createdAt: Date;
}

/** A collaborator: a user given permissions on one app outside its team (`access:add`). */
export interface Collaborator {
  appId: number;
  userId: number;
  userName: string;
  permissions: Array<'view' | 'deploy' | 'operate' | 'manage'>;
  createdAt: Date;
}

/** Heroku's default for team members: everything but manage. */
export const DEFAULT_MEMBER_PERMISSIONS: ReadonlyArray<'view' | 'deploy' | 'operate' | 'manage'> = Object.freeze(['view', 'deploy', 'operate']);

/** Only `web` receives HTTP; it runs one instance unless the formation says otherwise. */
export const DEFAULT_FORMATION: readonly FormationEntry[] = [{ type: 'web', quantity: 1, ...DEFAULT_SIZE }];

/** Heroku's description of a deploy: "Deploy 1a2b3c4". */
export function deployDescription(commit: string): string {
  return `Deploy ${commit.slice(0, 7)}`;
}
