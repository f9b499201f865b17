/** `node dist/platform/secrets-main.js init|rotate|status`, run by scripts/secrets (docs/security.md). */
import { loadConfig } from '../lib/config';
import { describeSecretsKey, initSecretsKey, rotateSecretsKey } from './secrets';

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  if (command === 'init') {
    const { keyId, created } = initSecretsKey(config.secretsKeyFile);
    process.stdout.write(created ? `Created the secrets key ${keyId} in ${config.secretsKeyFile} (mode 600): back it up apart from the database.\n` : `The secrets key ${keyId} is in ${config.secretsKeyFile}.\n`);
  } else if (command === 'rotate') {
    const report = await rotateSecretsKey(config);
    process.stdout.write(`Rotated the secrets key ${report.from} → ${report.to}: ${report.databaseValues} database values and ${report.etcdValues} certificate values in etcd re-sealed. Back up ${config.secretsKeyFile} again.\n`);
  } else if (command === 'status') {
    process.stdout.write(`${describeSecretsKey(config.secretsKeyFile)}\n`);
  } else {
    process.stderr.write('usage: scripts/secrets init|rotate|status\n');
    process.exit(2);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(` !    ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
