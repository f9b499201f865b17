/**
 * Process entry point of the router: `node dist/router/main.js`. Settings come from the
 * environment through loadConfig(); SIGTERM/SIGINT stop it gracefully.
 */
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { startRouter } from './index';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'router');

  // The router must keep serving the routes it has; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const router = await startRouter(config, logger);

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
