/**
 * The shapes of the REST API (docs/contracts/api.md), as the CLI reads them.
 * Kept apart from the HTTP client so formatters can use them without pulling in any I/O.
 */

export interface Info {
  domain: string;
  sshHost: string;
  sshPort: number;
  version: string;
}

export interface App {
  name: string;
  url: string;
  gitUrl: string;
  createdAt: string;
  currentRelease: number | null;
  /** The team that owns the app (absent from an API older than teams). */
  team?: string;
}

export interface FormationEntry {
  type: string;
  quantity: number;
}

export interface Instance {
  id: string;
  type: string;
  state: string;
  release: number | null;
  url: string | null;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface Release {
  version: number;
  description: string;
  status: ReleaseStatus;
  current: boolean;
  buildId: string | null;
  commit: string | null;
  failureReason: string | null;
  createdAt: string;
  /** The user who caused it (a push, a config change, a rollback); null for the platform or before users were recorded. */
  createdBy?: string | null;
}

export interface AppInfo extends App {
  formation: FormationEntry[];
  instances: Instance[];
  release: Release | null;
}

export interface Build {
  id: string;
  status: string;
  commit: string | null;
  image: string | null;
  digest: string | null;
  processTypes: Record<string, string>;
  durationMs: number | null;
  /** Bytes, the stack included. */
  imageSize?: number | null;
  /** The image `deploy --image` imported. */
  sourceImage?: string | null;
  buildpacks?: string[];
  createdAt: string;
  /** The user who pushed or deployed it; null when unknown. */
  createdBy?: string | null;
}

export interface Key {
  id: string;
  name: string;
  fingerprint: string;
  createdAt: string;
}

/** Config vars: `{KEY: value}` (GET /apps/:app/config). */
export type ConfigVars = Record<string, string>;

/** One release with its build's image and process types and its config's keys, never values (GET /apps/:app/releases/:version). */
export interface ReleaseInfo extends Release {
  image: string | null;
  processTypes: Record<string, string>;
  configKeys: string[];
}

/** One process type of the formation with its size (GET /apps/:app/ps). */
export interface SizedFormationEntry extends FormationEntry {
  memoryMb: number;
  cpu: number;
}

export interface PsInstance {
  id: string;
  type: string;
  state: string;
  release: number;
  url: string | null;
  startedAt: string | null;
  restartCount: number;
}

export interface PsView {
  formation: SizedFormationEntry[];
  instances: PsInstance[];
}

/** The certificate serving a domain, in short (GET /apps/:app/domains). */
export interface CertSummary {
  id: number;
  /** SHA-256 of the leaf certificate, `AB:CD:…`. */
  fingerprint: string;
  expiresAt: string;
}

/** One of an app's domains: its default `<app>.<domain>` or a custom one (GET /apps/:app/domains). */
export interface Domain {
  hostname: string;
  kind: 'default' | 'custom';
  wildcard: boolean;
  createdAt: string | null;
  cert: CertSummary | null;
}

/** One of an app's TLS certificates, never its key (GET /apps/:app/certs). */
export interface Cert extends CertSummary {
  /** The certificate's DNS names. */
  names: string[];
  /** The app's domains it serves now. */
  domains: string[];
  subject: string | null;
  issuer: string | null;
  selfSigned: boolean | null;
  createdAt: string;
}

/** POST /apps/:app/certs: the new certificate and those it replaced. */
export interface AddedCert extends Cert {
  replaced: Array<CertSummary & { names: string[] }>;
}

/** GET and PATCH /apps/:app/tls. */
export interface TlsSettings {
  redirectHttps: boolean;
}

/** One buildpack set on an app (GET /apps/:app/buildpacks). */
export interface AppBuildpack {
  index: number;
  buildpack: string;
  kind: 'builtin' | 'git' | 'tarball' | 'path';
}

/** An app's build cache (GET /apps/:app/build-cache). */
export interface BuildCache {
  volume: string;
  exists: boolean;
  volumeBytes: number;
  runtimeLayerBytes: number;
  sizeBytes: number;
}

/** The registry's content (GET /registry). */
export interface RegistryInfo {
  registry: string;
  repositories: number;
  images: number;
  blobs: number;
  bytes: number;
}

/** What `deploy --image` made (POST /apps/:app/builds). */
export interface ImageDeploy {
  build: Build;
  release: Release;
}

/** GET/PUT /apps/:app/maintenance. */
export interface MaintenanceState {
  maintenance: boolean;
}

/** GET /apps/:app/builds/:id/output: the build's log as the push showed it. */
export interface BuildOutput {
  id: string;
  status: string;
  output: string;
}

/** GET /status: one entry per platform component. */
export interface PlatformStatusView {
  ok: boolean;
  components: Array<{ component: string; ok: boolean; detail: string }>;
}
