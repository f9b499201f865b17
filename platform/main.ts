/** Process entry of the control plane (API + SSH git endpoint + builder + engine). */
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { startPlatform } from './platform';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'platform');
  const platform = await startPlatform(config, logger);
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    platform.close().then(() => process.exit(0), (error) => {
      logger.error({ err: error }, 'unclean stop');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`slipway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
