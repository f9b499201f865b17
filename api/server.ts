/** The REST API (docs/contracts/api.md): every CLI command and console action is one of its calls. */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SlipwayError, toErrorBody } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { IdentityService } from '../engine/identity-service';
import { requireToken } from './auth';
import { appRoutes, type AppRoutesDeps } from './routes/apps';
import { keyRoutes } from './routes/keys';

export interface ApiDeps extends AppRoutesDeps {
  identity: IdentityService;
  info: { domain: string; sshHost: string; sshPort: number; version: string };
  logger: Logger;
}

export function createApi(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  const v1 = express.Router();
  v1.get('/health', (_req, res) => { res.json({ ok: true }); });
  v1.use(requireToken(deps.identity));
  v1.get('/info', (_req, res) => { res.json(deps.info); });
  v1.use(appRoutes(deps));
  v1.use(keyRoutes(deps.identity));
  app.use('/api/v1', v1);

  app.use((req, _res, next) => next(new SlipwayError('not_found', `No API route for ${req.method} ${req.path}.`)));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const parseError = (error as { type?: string }).type === 'entity.parse.failed';
    const { status, body } = toErrorBody(parseError ? new SlipwayError('invalid_request', 'The request body is not valid JSON.') : error);
    if (status >= 500) deps.logger.error({ err: error, method: req.method, path: req.path }, 'api error');
    res.status(status).json(body);
  });
  return app;
}

export async function listen(app: express.Express, host: string, port: number): Promise<http.Server> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
