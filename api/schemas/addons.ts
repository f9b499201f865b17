/**
 * The add-on API's shapes (docs/addons.md, docs/contracts/api.md): what the routes answer and the
 * CLI reads. No I/O. (To become zod schemas with the route table; the names stay.)
 */
export interface AddonAttachmentJson {
  app: string;
  /** DATABASE, REDIS or the --as name. */
  name: string;
  /** The config vars it owns on the app. */
  configKeys: string[];
  /** The app's config holds the add-on's current URL. */
  bound: boolean;
}

export interface AddonJson {
  name: string;
  kind: 'postgresql' | 'mysql' | 'redis' | 'external';
  plan: 'small' | 'medium';
  team: number;
  state: 'provisioning' | 'available' | 'failed' | 'deprovisioning';
  health: 'healthy' | 'unhealthy' | 'unknown';
  /** While provisioning: the current step; failed or unhealthy: why. */
  stateReason: string | null;
  /** The URL bound apps get; its password replaced by ***** unless `?reveal=true`; null while provisioning. */
  url: string | null;
  attachments: AddonAttachmentJson[];
  createdAt: string;
}

export interface CreateAddonBody {
  kind: string;
  plan?: string;
  as?: string;
  url?: string;
}

export interface AttachBody {
  app: string;
  as?: string;
}

export interface BackupJson {
  /** b001, b002, … per add-on. */
  id: string;
  status: 'pending' | 'running' | 'succeeded' | 'verified' | 'failed';
  trigger: 'manual' | 'scheduled';
  size: number | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why it failed. */
  error: string | null;
  /** What the dump holds (tables → rows, Redis dbs → keys). */
  counts: Record<string, number> | null;
  createdAt: string;
}

export interface BackupScheduleJson {
  at: string;
  keep: number;
  lastRunAt: string | null;
}

export interface LinkJson {
  app: string;
  target: string;
  name: string;
  configKey: string;
  url: string;
}
