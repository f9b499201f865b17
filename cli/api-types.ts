/**
 * The shapes of the REST API as the CLI reads them: inferred from the same zod schemas that the
 * API validates and answers with (api/schemas/*), so the two sides cannot drift apart.
 * Type-only: the CLI loads no schema code for them.
 */
export type {
  App, AppInfo, Build, BuildOutput, ConfigVars, FormationEntry, ImageDeploy, Instance, MaintenanceState, PsInstance, PsView,
  Release, ReleaseInfo, ReleaseStatus, SizedFormationEntry,
} from '../api/schemas/apps';
export type { AddedCert, Cert, CertSummary, Domain, TlsSettings } from '../api/schemas/domains';
export type { AppBuildpack, BuildCache, Info, Key, PlatformStatusView, RegistryInfo } from '../api/schemas/platform';
