/** The REST API (docs/contracts/api.md): every CLI command and console action is one of its calls. */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { SlipwayError, toErrorBody } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { DomainsService } from '../engine/domains-service';
import type { FormationService } from '../engine/formation-service';
import type { IdentityService } from '../engine/identity-service';
import type { MaintenanceService } from '../engine/maintenance-service';
import type { PlatformStatus } from '../engine/platform-status';
import type { InstanceKiller } from '../engine/instance-kill';
import { tokenAuthenticator } from './auth';
import { openApiDocument } from './openapi';
import { clientAddress, defineRoute, mountRoutes, type Authenticator, type AuditRecord, type Route } from './route-table';
import { InfoSchema } from './schemas/platform';
import type { AccessChecker } from '../engine/policy';
import { factlessAccess } from '../engine/access-refusal';
import type { UpgradeListener } from './attach-server';
import { appRoutes, type AppRoutesDeps } from './routes/apps';
import { configRoutes, type ConfigRoutesDeps } from './routes/config';
import { buildpackRoutes, type BuildpackRoutesDeps } from './routes/buildpacks';
import { domainRoutes } from './routes/domains';
import { formationRoutes } from './routes/formation';
import { keyRoutes } from './routes/keys';
import { maintenanceRoutes } from './routes/maintenance';
import { buildRoutes } from './routes/builds';
import { statusRoutes } from './routes/status';
import { capacityRoutes, type CapacitySource } from './routes/capacity';
import { releaseRoutes } from './routes/releases';
import { runRoutes, type RunRoutesDeps } from './routes/run';
import { registryRoutes, type RegistryRoutesDeps } from './routes/registry';
import { accountRoutes } from './routes/accounts';
import type { AccountsDeps } from './accounts-handlers';
import { addonRoutes, type AddonRoutesDeps } from './routes/addons';
import { apiRequestMetrics, appMetricsRoutes, metricsEndpoints, routeBase, type MetricsEndpointsDeps } from './routes/metrics';
import type { AppMetricsService } from '../engine/metrics/app-metrics-service';
import { sessionAuthenticator, sessionRoutes, type SessionDeps } from './session';
import { eventRoutes, publishApiChanges, type EventRoutesDeps } from './events';
import { consoleFiles } from './static';
import { logRoutes, type LogRoutesDeps } from './routes/logs';
import { deployRoutes, type TimelineReader } from './routes/deploys';
import { storageRoutes, type StorageRoutesDeps } from './routes/storage';

export interface ApiDeps extends AppRoutesDeps, ConfigRoutesDeps {
  identity: IdentityService;
  formation: FormationService;
  info: { domain: string; sshHost: string; sshPort: number; version: string };
  logger: Logger;
  /** One-off processes, `/apps/:app/dynos` (docs/run.md); their attach is the upgrade listener given to listen(). */
  run?: RunRoutesDeps;
  /** Buildpacks of an app, its build cache, image deploys (`/apps/:app/buildpacks|build-cache`, `POST /apps/:app/builds`). */
  buildpacks?: BuildpackRoutesDeps;
  /** Custom domains, certificates and HTTPS settings, `/apps/:app/domains|certs|tls`. */
  domains?: DomainsService;
  /** The registry's size for the admin, `GET /registry` (engine/image-janitor.ts). */
  registry?: RegistryRoutesDeps;
  /** Maintenance mode of an app, `/apps/:app/maintenance`. */
  maintenance?: MaintenanceService;
  /** `POST /apps/:app/ps/kill`: one instance stopped and replaced (`ps:kill web.2`). */
  killer?: InstanceKiller;
  /** Log streams and drains, `/apps/:app/logs|drains` (docs/logs.md). */
  logs?: LogRoutesDeps;
  /** Platform health, `GET /status`. */
  status?: PlatformStatus;
  /** Hosts with their CPU and memory, `GET /capacity`. */
  capacity?: CapacitySource;
  /** Identifies callers (default: Bearer tokens through `identity`). */
  authenticate?: Authenticator;
  /** The one policy with its facts (engine/access.ts); default: only platform admins pass. */
  access?: AccessChecker;
  /** Appends changes to the audit log. */
  audit?: (record: AuditRecord) => Promise<void>;
  /** Sign-in, users, tokens, teams, members, app access, transfers, the audit log (api/routes/accounts.ts). */
  accounts?: Pick<AccountsDeps, 'teams' | 'appAccess' | 'audit' | 'moved'>;
  /** Add-ons, their backups, and app links, `/addons…`, `/apps/:app/addons|links` (docs/addons.md). */
  addons?: AddonRoutesDeps;
  /** `/metrics` and `/metrics/containers` for Prometheus, `/apps/:app/metrics`, and counting every request (docs/metrics.md). */
  metrics?: MetricsEndpointsDeps & { appMetrics: AppMetricsService };
  /** The deploy timeline: `/apps/:app/deploys` and the phases of releases and builds (docs/deploy-timeline.md). */
  timeline?: TimelineReader;
  /** Persistent volumes of apps, `/apps/:app/storage` (docs/storage.md). */
  storage?: StorageRoutesDeps['storage'];
  /** The web console (docs/console.md): its sign-in sessions, live events and files at `/`. */
  console?: SessionDeps & EventRoutesDeps & { dir?: string };
}

/** Every route of the API, declared once (api/route-table.ts). */
export function apiRoutes(deps: ApiDeps): Route[] {
  const routes: Route[] = [
    defineRoute({
      method: 'get', path: '/health', tag: 'platform', summary: 'Whether the API answers', access: 'public',
      response: z.object({ ok: z.boolean() }), handler: () => ({ ok: true }),
    }),
    defineRoute({
      method: 'get', path: '/info', tag: 'platform', summary: 'Where to push and which domain apps get',
      response: InfoSchema, access: () => ({ action: 'account' }), handler: () => deps.info,
    }),
    ...appRoutes(deps),
    ...configRoutes(deps),
    ...releaseRoutes(deps, deps.access ?? factlessAccess),
    ...buildRoutes(deps, deps.access ?? factlessAccess),
    ...deployRoutes(deps, deps.access ?? factlessAccess),
    ...formationRoutes(deps.formation, deps.killer),
    ...keyRoutes(deps.identity),
    ...(deps.run ? runRoutes(deps.run) : []),
    ...(deps.buildpacks ? buildpackRoutes(deps.buildpacks) : []),
    ...(deps.domains ? domainRoutes({ domains: deps.domains }) : []),
    ...(deps.registry ? registryRoutes(deps.registry) : []),
    ...(deps.maintenance ? maintenanceRoutes(deps.maintenance) : []),
    ...(deps.status ? statusRoutes(deps.status) : []),
    ...(deps.capacity ? capacityRoutes(deps.capacity) : []),
    ...(deps.accounts ? accountRoutes({ ...deps.accounts, identity: deps.identity, apps: deps.apps, access: deps.access ?? factlessAccess }) : []),
    ...(deps.addons ? addonRoutes({ ...deps.addons, access: deps.access ?? factlessAccess }) : []),
    ...(deps.metrics ? appMetricsRoutes(deps.metrics.appMetrics, deps.access ?? factlessAccess) : []),
    ...(deps.console ? [...sessionRoutes(deps.console), ...eventRoutes(deps.console, deps.access ?? factlessAccess)] : []),
    ...(deps.logs ? logRoutes(deps.logs) : []),
    ...(deps.storage ? storageRoutes({ storage: deps.storage }) : []),
  ];
  routes.push(defineRoute({
    method: 'get', path: '/openapi.json', tag: 'platform', summary: 'This API described in OpenAPI 3.1', access: 'public',
    produces: 'application/json',
    handler: ({ res }) => { res.json(document); },
  }));
  // Built once: the table does not change while the process runs.
  const document = openApiDocument(routes, deps.info.version);
  return routes;
}

/** The largest JSON body the API reads (docs/contracts/api.md); a larger one is refused with 413 payload_too_large. */
export const API_BODY_LIMIT = '1mb';

/** Errors of the JSON body parser, as the API's own: a bad body is the caller's mistake, not a 500. */
function bodyParserError(error: unknown): SlipwayError | null {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new SlipwayError('invalid_request', 'The request body is not valid JSON.');
  if (type === 'entity.too.large') {
    return new SlipwayError('payload_too_large', 'The request body is larger than 1 MB, the most the API reads. Send less data per request (config vars of an app are limited to 32 kB in all).');
  }
  return null;
}

export function createApi(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.metrics) app.use(apiRequestMetrics(deps.metrics.platform));
  app.use(express.json({ limit: API_BODY_LIMIT }));

  const tokens = deps.authenticate ?? tokenAuthenticator(deps.identity);
  // The console's session cookie first (with its CSRF check), else a bearer token.
  const authenticate = deps.console ? sessionAuthenticator(deps.console, tokens) : tokens;
  const access = deps.access ?? factlessAccess;
  if (deps.metrics) {
    // Outside /api/v1 (Prometheus's usual path), for platform admins: the figures name every tenant's apps.
    app.use(metricsEndpoints(deps.metrics, async (req) => {
      const principal = await authenticate(req, clientAddress(req));
      if (!principal) throw new SlipwayError('unauthorized', 'Sign in first: send an API token.');
      await access.check(principal, { action: 'platform:admin' });
    }));
  }

  const v1 = express.Router();
  if (deps.metrics) v1.use(routeBase('/api/v1'));
  if (deps.console) v1.use(publishApiChanges(deps.console.feed));
  mountRoutes(v1, apiRoutes(deps), {
    authenticate,
    access,
    ...(deps.audit ? { audit: deps.audit } : {}),
  });
  app.use('/api/v1', v1);
  if (deps.console) app.use(consoleFiles(deps.console.dir));

  app.use((req, _res, next) => next(new SlipwayError('not_found', `No API route for ${req.method} ${req.path}.`)));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = toErrorBody(bodyParserError(error) ?? error);
    if (status >= 500) deps.logger.error({ err: error, method: req.method, path: req.path }, 'api error');
    res.status(status).json(body);
  });
  return app;
}

/** `onUpgrade` receives HTTP Upgrade requests (the one-off attach of api/attach-server.ts). */
export async function listen(app: express.Express, host: string, port: number, onUpgrade?: UpgradeListener): Promise<http.Server> {
  const server = http.createServer(app);
  if (onUpgrade) server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
