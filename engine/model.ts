/** The engine's domain: plain data, no I/O. Mirrors Heroku's model (see docs/contracts/api.md). */

export type ConfigVars = Readonly<Record<string, string>>;
export type ProcessTypes = Readonly<Record<string, string>>;

export interface App {
  id: number;
  name: string;
  config: ConfigVars;
  currentRelease: number | null;
  createdAt: Date;
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

/** Only `web` receives HTTP; it runs one instance unless the formation says otherwise. */
export const DEFAULT_FORMATION: readonly FormationEntry[] = [{ type: 'web', quantity: 1, ...DEFAULT_SIZE }];

/** Heroku's description of a deploy: "Deploy 1a2b3c4". */
export function deployDescription(commit: string): string {
  return `Deploy ${commit.slice(0, 7)}`;
}
