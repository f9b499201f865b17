/**
 * Process entry point of the router: `node dist/router/main.js`. Settings come from the
 * environment through loadConfig().
 *
 * With SLIPWAY_ROUTER_WORKERS > 1 (default: one per core) this process becomes a node:cluster
 * primary and each worker runs a whole router (router/cluster.ts); with 1 it is the router itself.
 * Either way SIGTERM/SIGINT stop it gracefully: stop accepting, drain, exit 0.
 */
import cluster from 'node:cluster';
import { loadConfig } from '../lib/config';
import { runPrimary, runWorker } from './cluster';
import { createRouterLogging, type RouterLogging } from './log';

async function main(): Promise<void> {
  const config = loadConfig();
  const logging = createRouterLogging(config.logLevel);
  const logger = logging.logger;

  // The router must keep serving the routes it has; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  if (cluster.isWorker) return runWorker(config, logging);
  if (config.routerWorkers > 1) return runPrimary(config, logger);
  return runSingle(config, logging);
}

/** One process: the router plus the admin port. */
async function runSingle(config: ReturnType<typeof loadConfig>, logging: RouterLogging): Promise<void> {
  const logger = logging.logger;
  // Loaded here, not at the top: a cluster primary never needs the router (nor its etcd client).
  const { startRouter } = await import('./index');
  const router = await startRouter(config, logger, { serveAdmin: true, accessLines: logging.accessLines() });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, letting in-flight requests finish');
    router.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  // The logger may not exist yet (bad configuration), so this goes straight to stderr.
  process.stderr.write(`slipway router failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
